# systemd.* as nixpkgs declares the options Landscaper sets: services (with the unit
# options it uses), tmpfiles rules, the systemd package.
{ lib, pkgs, ... }:
let
  inherit (lib) mkOption types;

  # nixos/lib/systemd-unit-options.nix: a unit setting; list definitions are
  # concatenated, scalar ones must agree.
  unitOption = lib.mkOptionType {
    name = "systemd option";
    merge =
      loc: defs:
      if lib.any (def: lib.isList def.value) defs then
        lib.concatMap (def: lib.toList def.value) defs
      else
        lib.mergeEqualOption loc defs;
  };

  # nixos/lib/systemd-lib.nix: unit names (unitNameType).
  unitName = types.strMatching "[a-zA-Z0-9@%:_.\\-]+[.](service|socket|device|mount|automount|swap|target|path|timer|scope|slice)";
  unitNames = mkOption {
    type = types.listOf unitName;
    default = [ ];
  };

  service = types.submodule {
    options = {
      description = mkOption {
        type = types.singleLineStr;
        default = "";
      };
      wantedBy = unitNames;
      wants = unitNames;
      after = unitNames;
      before = unitNames;
      environment = mkOption {
        type = types.attrsOf (
          types.nullOr (
            types.oneOf [
              types.str
              types.path
              types.package
            ]
          )
        );
        default = { };
      };
      path = mkOption {
        type = types.listOf (
          types.oneOf [
            types.package
            types.str
          ]
        );
        default = [ ];
      };
      script = mkOption {
        type = types.lines;
        default = "";
      };
      restartIfChanged = mkOption {
        type = types.bool;
        default = true;
      };
      unitConfig = mkOption {
        type = types.attrsOf unitOption;
        default = { };
      };
      # nixos/lib/systemd-unit-options.nix checks Type= and Restart= against systemd's
      # values (checkService).
      serviceConfig = mkOption {
        type = types.addCheck (types.attrsOf unitOption) (
          sc:
          lib.elem (sc.Type or "simple") [
            "exec"
            "simple"
            "forking"
            "oneshot"
            "dbus"
            "notify"
            "notify-reload"
            "idle"
          ]
          && lib.elem (sc.Restart or "no") [
            "no"
            "on-success"
            "on-failure"
            "on-abnormal"
            "on-abort"
            "always"
          ]
        );
        default = { };
      };
    };
  };
in
{
  options.systemd = {
    # nixos/modules/system/boot/systemd.nix
    package = mkOption {
      type = types.package;
      default = pkgs.systemd;
    };
    services = mkOption {
      type = types.attrsOf service;
      default = { };
    };
    # nixos/modules/system/boot/systemd/tmpfiles.nix
    tmpfiles.rules = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
  };
}
