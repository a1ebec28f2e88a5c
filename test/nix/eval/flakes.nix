# Landscaper's flake and its deployment template's, evaluated as Nix would evaluate them,
# with their inputs made from the real code in `reference` (../shared/reference/nix: nixpkgs'
# lib, NixOps4, nixops4-nixos, disko) and the nixpkgs stand-in (../nixos-stand-in).
{
  reference,
  # Modules added to the deployment's root: the template's machines.nix lists no machine.
  extraRootModules ? [ ],
}:
let
  lib = import (reference + "/nixpkgs-lib/lib");
  nixpkgs = import ../nixos-stand-in { inherit lib; };

  # flake-parts' withSystem, as the NixOps4 and nixops4-nixos flakes use it: their own
  # per-system packages (made up here) and nixpkgs' pkgs.
  withSystem =
    ownPackages: system: f:
    f {
      pkgs = nixpkgs.legacyPackages.${system};
      config.packages = ownPackages nixpkgs.legacyPackages.${system};
    };

  nixops4Lib = import (reference + "/nixops4/nix/lib/lib.nix") {
    inherit lib;
    self = nixops4;
    selfWithSystem = withSystem nixops4Packages;
  };
  nixops4 = {
    lib = nixops4Lib // {
      # The real mkRoot, given extraRootModules; `evalWith` is the configuration its
      # rootFunction evaluates (mkRoot's own baseArgs), for tests that look inside.
      mkRoot =
        args:
        let
          args' = args // {
            modules = args.modules ++ extraRootModules;
          };
        in
        nixops4Lib.mkRoot args'
        // {
          evalWith = nixops4Lib.evalRoot {
            prefix = args'.prefix or [ ];
            specialArgs = args'.specialArgs or { };
            modules = [ (reference + "/nixops4/nix/component/base-modules.nix") ] ++ args'.modules;
          };
        };
    };
    modules.nixops4Provider.local = import (reference + "/nixops4/nix/providers/local.nix") {
      withSystem = withSystem nixops4Packages;
    };
    packages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] (
      system: nixops4Packages nixpkgs.legacyPackages.${system}
    );
  };
  nixops4Packages = pkgs: {
    default = pkgs.callPackage ({ writeText }: writeText "nixops4" "") { };
    nixops4-resources-local-release = pkgs.callPackage (
      { writeText }: writeText "nixops4-resources-local" ""
    ) { };
  };

  nixops4-nixos = {
    modules.nixops4Component.nixos =
      import (reference + "/nixops4-nixos/modules/nixops4Resource/nixos.nix")
        {
          self = nixops4-nixos;
          withSystem = withSystem (_: { });
        };
    modules.nixos.apply = reference + "/nixops4-nixos/modules/nixos/apply/nixos-apply.nix";
  };

  disko = {
    nixosModules.disko = reference + "/disko/module.nix";
    nixosModules.default = disko.nixosModules.disko;
  };

  inputs = {
    inherit
      nixpkgs
      nixops4
      nixops4-nixos
      disko
      ;
  };

  # A flake's `self`: its outputs, its source and its inputs.
  landscaper =
    (import ../../../flake.nix).outputs (inputs // { self = landscaper; })
    // {
      outPath = toString ../../..;
      inherit inputs;
    };

  template = (import ../../../nixos/template/flake.nix).outputs { inherit landscaper; };
in
{
  inherit
    lib
    nixpkgs
    nixops4
    nixops4-nixos
    disko
    landscaper
    template
    ;
}
