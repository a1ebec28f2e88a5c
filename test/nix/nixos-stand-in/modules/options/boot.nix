# boot.* as nixpkgs declares the options that Landscaper, disko and netboot set.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;

  # nixos/modules/config/sysctl.nix: net.core.rmem_max takes the highest of its
  # definitions (of the highest priority given, as for every option), null for none.
  highestValue = types.ints.unsigned // {
    merge = _loc: defs: lib.foldl' (acc: def: lib.max acc def.value) 0 defs;
  };
  sysctlValue = lib.mkOptionType {
    name = "sysctl option value";
    check = v: lib.isBool v || lib.isString v || lib.isInt v || v == null;
    merge = lib.mergeOneOption;
  };
in
{
  options.boot = {
    kernel.sysctl = mkOption {
      default = { };
      type = types.submodule {
        freeformType = types.attrsOf sysctlValue;
        options."net.core.rmem_max" = mkOption {
          type = types.nullOr highestValue;
          default = null;
        };
      };
    };

    # nixos/modules/system/boot/kernel.nix
    kernelParams = mkOption {
      type = types.listOf (
        types.strMatching ''([^"[:space:]]|"[^"]*")+'' // { name = "kernelParam"; }
      );
      default = [ ];
    };
    kernelPackages = mkOption {
      type = types.raw;
      default = {
        kernel = pkgs.linux;
      };
    };
    initrd.availableKernelModules = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    initrd.kernelModules = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    # nixos/modules/tasks/filesystems.nix (read by disko's image builder)
    supportedFilesystems = mkOption {
      type = types.attrsOf types.bool;
      default = { };
    };

    # nixos/modules/system/boot/loader/grub/grub.nix
    loader.grub = {
      enable = mkOption {
        type = types.bool;
        default = true;
      };
      efiSupport = mkOption {
        type = types.bool;
        default = false;
      };
      efiInstallAsRemovable = mkOption {
        type = types.bool;
        default = false;
      };
      devices = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      device = mkOption {
        type = types.str;
        default = "";
      };
    };
    # nixos/modules/system/boot/loader/systemd-boot/systemd-boot.nix
    loader.systemd-boot.enable = mkOption {
      type = types.bool;
      default = false;
    };
    # nixos/modules/system/boot/loader/efi.nix
    loader.efi.canTouchEfiVariables = mkOption {
      type = types.bool;
      default = false;
    };
  };

  # nixos/modules/system/activation/top-level.nix (the kernel package names its file
  # since lib.systems dropped linux-kernel in 26.11)
  options.system.boot.loader.kernelFile = mkOption {
    internal = true;
    type = types.str;
    default = config.boot.kernelPackages.kernel.target;
  };
}
