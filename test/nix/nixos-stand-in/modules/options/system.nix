# system.*, assertions, warnings and nixpkgs.hostPlatform as nixpkgs declares them, and a
# stand-in for the top-level system derivation.
{
  config,
  lib,
  options,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.system;
in
{
  options = {
    # nixos/modules/misc/assertions.nix
    assertions = mkOption {
      type = types.listOf types.unspecified;
      internal = true;
      default = [ ];
    };
    warnings = mkOption {
      type = types.listOf types.str;
      internal = true;
      default = [ ];
    };

    # nixos/modules/misc/nixpkgs.nix: a system string or attribute set, elaborated.
    nixpkgs.hostPlatform = mkOption {
      type = types.either types.str types.attrs;
      apply = lib.systems.elaborate;
    };

    # nixos/modules/misc/version.nix: defaults to this nixpkgs' release, and warns (in its
    # `apply`) whenever that default is what is used.
    system.nixos.release = mkOption {
      readOnly = true;
      type = types.str;
      default = lib.trivial.release;
    };
    system.stateVersion = mkOption {
      type = types.str;
      default = cfg.nixos.release;
      apply =
        v:
        lib.warnIf (options.system.stateVersion.highestPrio == (lib.mkOptionDefault { }).priority)
          "system.stateVersion is not set, defaulting to ${v}."
          v;
    };

    # nixos/modules/system/build.nix: a free-form set, each attribute defined once.
    system.build = mkOption {
      default = { };
      type = types.submoduleWith {
        modules = [ { freeformType = with types; lazyAttrsOf (uniq unspecified); } ];
      };
    };

    # nixos/modules/system/activation/top-level.nix
    system.extraDependencies = mkOption {
      type = types.listOf types.pathInStore;
      default = [ ];
    };
    system.activatableSystemBuilderCommands = mkOption {
      type = types.lines;
      internal = true;
      default = "";
    };
  };

  config = {
    # top-level.nix builds the system from (among much else) the packages of
    # environment.systemPackages and system.extraDependencies, whose paths it writes into
    # the result, so both are in its closure. It throws on failed assertions and prints the
    # warnings. `closure` lists what this stand-in knows to be in the closure.
    system.build.toplevel =
      let
        failed = map (a: a.message) (lib.filter (a: !a.assertion) config.assertions);
        closure = config.system.extraDependencies ++ config.environment.systemPackages;
        drv = derivation {
          name = "nixos-system-${config.networking.hostName}-${cfg.stateVersion}";
          system = config.nixpkgs.hostPlatform.system;
          builder = "/bin/sh";
          args = [
            "-c"
            "exit 1"
          ];
          extraDependencies = config.system.extraDependencies;
          systemPackages = config.environment.systemPackages;
          installBootLoader = config.boot.loader.grub.enable;
          inherit (cfg) activatableSystemBuilderCommands;
        };
      in
      if failed != [ ] then
        throw "\nFailed assertions:\n${lib.concatMapStrings (m: "- ${m}\n") failed}"
      else
        lib.showWarnings config.warnings (drv // { inherit closure; });

    system.build.kernel = config.boot.kernelPackages.kernel;
  };
}
