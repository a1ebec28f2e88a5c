# users.* as nixpkgs declares the options Landscaper and its template set.
{ lib, ... }:
let
  inherit (lib) mkOption types;
in
{
  options.users = {
    # nixos/modules/security/pam.nix
    motd = mkOption {
      type = types.nullOr types.lines;
      default = null;
    };

    # nixos/modules/config/users-groups.nix
    users = mkOption {
      default = { };
      type = types.attrsOf (
        types.submodule (
          { name, ... }:
          {
            options = {
              name = mkOption {
                type = types.passwdEntry types.str;
                default = name;
              };
              isSystemUser = mkOption {
                type = types.bool;
                default = false;
              };
              group = mkOption {
                type = types.str;
                default = "";
              };
              description = mkOption {
                type = types.passwdEntry types.str;
                default = "";
              };
              home = mkOption {
                type = types.passwdEntry types.path;
                default = "/var/empty";
              };
              # nixos/modules/services/networking/ssh/sshd.nix adds this to every user.
              openssh.authorizedKeys.keys = mkOption {
                type = types.listOf types.singleLineStr;
                default = [ ];
              };
            };
          }
        )
      );
    };
    groups = mkOption {
      default = { };
      type = types.attrsOf (
        types.submodule (
          { name, ... }:
          {
            options.name = mkOption {
              type = types.passwdEntry types.str;
              default = name;
            };
          }
        )
      );
    };
  };
}
