{
  description = "Landscaper: a network-boot appliance that turns bare servers into NixOS machines managed by NixOps4";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    # NixOps4 builds against its own pinned nixpkgs and Nix; it is not made to follow ours.
    nixops4.url = "github:nixops4/nixops4";
    nixops4-nixos.url = "github:nixops4/nixops4-nixos";
    nixops4-nixos.inputs.nixpkgs.follows = "nixpkgs";
    disko.url = "github:nix-community/disko";
    disko.inputs.nixpkgs.follows = "nixpkgs";
  };

  outputs =
    {
      self,
      nixpkgs,
      nixops4,
      nixops4-nixos,
      disko,
      ...
    }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (
        system: pkgs: {
          landscaper = pkgs.callPackage ./package.nix { };
          default = self.packages.${system}.landscaper;
        }
      );

      # services.landscaper, with NixOps4 on the system and this flake's source at
      # /var/lib/landscaper-flake (the deployment template's `landscaper` input).
      nixosModules.landscaper =
        { pkgs, lib, ... }:
        {
          imports = [ ./nixos/module.nix ];
          services.landscaper.nixops4Package = lib.mkDefault (
            nixops4.packages.${pkgs.stdenv.hostPlatform.system}.default or null
          );
          services.landscaper.flakeSource = self.outPath;
        };
      nixosModules.default = self.nixosModules.landscaper;

      # The NixOps4 resource provider; `resourceProviderSystem` is where nixops4 runs.
      modules.nixops4Provider.landscaper = {
        _file = ./nixos/nixops4-provider.nix;
        imports = [
          (import ./nixos/nixops4-provider.nix {
            packageFor = system: self.packages.${system}.landscaper;
          })
        ];
      };

      # One machine: installation key, installer registration, rekey, real configuration.
      modules.nixops4Component.machine = {
        _file = ./nixos/machine.nix;
        imports = [
          (import ./nixos/machine.nix {
            landscaperLib = self.lib;
            provider = self.modules.nixops4Provider.landscaper;
            inherit nixops4 nixops4-nixos nixpkgs;
          })
        ];
      };

      # machineModules, mkBase and mkInstaller (the per-machine netboot installer).
      lib = import ./nixos/lib.nix { inherit nixpkgs disko; };

      # `nix build .#nixosConfigurations.landscaper-iso.config.system.build.isoImage`
      # gives iso/landscaper.iso.
      nixosConfigurations.landscaper-iso = nixpkgs.lib.nixosSystem {
        modules = [
          self.nixosModules.landscaper
          ./nixos/iso.nix
          { nixpkgs.hostPlatform = "x86_64-linux"; }
        ];
      };

      templates.default = {
        path = ./nixos/template;
        description = "NixOps4 deployment of bare servers installed through Landscaper";
      };

      checks = forAllSystems (
        system: pkgs: {
          landscaper = self.packages.${system}.landscaper;
          # A NixOS VM test of services.landscaper (needs KVM).
          service = import ./nixos/tests/service.nix {
            inherit pkgs;
            landscaperModule = self.nixosModules.landscaper;
          };
        }
      );
    };
}
