{
  description = "Servers installed through Landscaper and deployed with NixOps4";

  inputs = {
    # The Landscaper this appliance runs (services.landscaper keeps its flake there), so
    # that the deployment and the appliance agree. After upgrading the appliance, run
    # `nix flake update landscaper`. Any other Landscaper flake reference works too.
    landscaper.url = "path:/var/lib/landscaper-flake";
  };

  outputs =
    { landscaper, ... }:
    let
      # One nixpkgs and one NixOps4 for the appliance, the deployment and the machines.
      inherit (landscaper.inputs) nixpkgs nixops4;
      system = "x86_64-linux";
    in
    {
      # The appliance host itself:
      #   nixos-install --flake /mnt/root/fediversity-network#landscaper   (from landscaper.iso)
      #   nixos-rebuild switch --flake /root/fediversity-network#landscaper (later)
      nixosConfigurations.landscaper = nixpkgs.lib.nixosSystem {
        modules = [
          landscaper.nixosModules.landscaper
          ./appliance/configuration.nix
        ];
      };

      # The deployment: `nixops4 apply` in this directory.
      nixops4 = nixops4.lib.mkRoot {
        modules = [
          ./deployment.nix
          ./machines.nix
        ];
        specialArgs.landscaperFlake = landscaper;
      };

      devShells.${system}.default = nixpkgs.legacyPackages.${system}.mkShell {
        packages = [ nixops4.packages.${system}.default ];
      };
    };
}
