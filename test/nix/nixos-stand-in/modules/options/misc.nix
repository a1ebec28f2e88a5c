# environment.*, nix.*, documentation.*, file systems and sshd as nixpkgs declares the
# options Landscaper, its template, disko and the netboot profile set.
{ lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  flag = default: mkOption { type = types.bool; inherit default; };
in
{
  options = {
    # nixos/modules/config/system-path.nix
    environment.systemPackages = mkOption {
      type = types.listOf types.package;
      default = [ ];
    };
    # nixos/modules/config/system-path.nix: directories linked into /run/current-system/sw.
    environment.pathsToLink = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    # nixos/modules/config/shells-environment.nix: values are joined into strings.
    environment.variables = mkOption {
      type =
        with types;
        attrsOf (oneOf [
          (listOf (oneOf [
            int
            str
            path
          ]))
          int
          str
          path
        ]);
      default = { };
      apply = lib.mapAttrs (
        _: v: if lib.isList v then lib.concatMapStringsSep ":" toString v else toString v
      );
    };

    # nixos/modules/config/nix.nix: settings is free-form nix.conf, a few keys typed.
    nix.package = mkOption {
      type = types.package;
      default = pkgs.nix;
    };
    nix.settings = mkOption {
      default = { };
      type = types.submodule {
        freeformType =
          with types;
          attrsOf (oneOf [
            bool
            int
            float
            str
            path
            package
            (listOf (oneOf [
              bool
              int
              float
              str
              path
              package
            ]))
          ]);
        options.trusted-users = mkOption {
          type = types.listOf types.str;
          default = [ "root" ];
        };
      };
    };

    # nixos/modules/misc/documentation.nix
    documentation.enable = flag true;
    documentation.nixos.enable = flag true;
    documentation.man.enable = flag true;

    # nixos/modules/tasks/filesystems.nix (the attributes disko and netboot set)
    fileSystems = mkOption {
      default = { };
      type = types.attrsOf (
        types.submodule {
          options = {
            device = mkOption {
              type = types.nullOr types.str;
              default = null;
            };
            fsType = mkOption {
              type = types.str;
              default = "auto";
            };
            options = mkOption {
              type = types.nonEmptyListOf types.str;
              default = [ "defaults" ];
            };
            neededForBoot = flag false;
          };
        }
      );
    };
    # nixos/modules/config/swap.nix
    swapDevices = mkOption {
      type = types.listOf (types.submodule { freeformType = types.attrsOf types.anything; });
      default = [ ];
    };

    # nixos/modules/services/networking/ssh/sshd.nix
    services.openssh = {
      enable = flag false;
      settings = mkOption {
        default = { };
        type = types.submodule {
          freeformType = types.attrsOf (
            types.nullOr (
              types.oneOf [
                types.bool
                types.int
                types.str
                (types.listOf types.str)
              ]
            )
          );
          options = {
            PasswordAuthentication = mkOption {
              type = types.nullOr types.bool;
              default = true;
            };
            KbdInteractiveAuthentication = mkOption {
              type = types.nullOr types.bool;
              default = true;
            };
            PermitRootLogin = mkOption {
              type = types.nullOr (
                types.enum [
                  "yes"
                  "without-password"
                  "prohibit-password"
                  "forced-commands-only"
                  "no"
                ]
              );
              default = "prohibit-password";
            };
          };
        };
      };
      hostKeys = mkOption {
        type = types.listOf types.attrs;
        default = [
          {
            type = "rsa";
            bits = 4096;
            path = "/etc/ssh/ssh_host_rsa_key";
          }
          {
            type = "ed25519";
            path = "/etc/ssh/ssh_host_ed25519_key";
          }
        ];
      };
    };
  };
}
