# A stand-in for the nixpkgs flake, for evaluating Landscaper's Nix files with the real
# module system where nixpkgs itself is not available: the real `lib` (nixpkgs' lib/,
# from ../shared/reference/nix), extended with a `nixosSystem` that evaluates the given
# modules together with ./modules/module-list.nix (nixpkgs' declarations of the options
# those modules set) and ./pkgs.nix (derivation-like packages).
{ lib }:
let
  systems = [
    "x86_64-linux"
    "aarch64-linux"
  ];
  pkgsFor = system: import ./pkgs.nix { inherit lib system; };

  # nixos/lib/eval-config.nix: class "nixos", modulesPath, and `pkgs` for the host
  # platform (nixos/modules/misc/nixpkgs.nix).
  nixosSystem =
    {
      modules,
      specialArgs ? { },
      ...
    }:
    lib.evalModules {
      class = "nixos";
      specialArgs = {
        modulesPath = ./modules;
      }
      // specialArgs;
      modules =
        import ./modules/module-list.nix
        ++ [
          (
            { config, ... }:
            {
              _module.args.pkgs = pkgsFor config.nixpkgs.hostPlatform.system;
            }
          )
        ]
        ++ modules;
    };
in
{
  lib = lib.extend (_final: _prev: { inherit nixosSystem; });
  legacyPackages = lib.genAttrs systems pkgsFor;
  outPath = toString ./.;
}
