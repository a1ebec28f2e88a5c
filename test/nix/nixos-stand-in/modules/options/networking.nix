# networking.* as nixpkgs declares the options Landscaper and its template set or read.
{ lib, ... }:
let
  inherit (lib) mkOption types;

  # nixos/modules/services/networking/firewall.nix: the options shared by the global
  # firewall and each `interfaces.<name>`; port lists come out sorted, without repeats.
  portList = mkOption {
    type = types.listOf types.port;
    default = [ ];
    apply = ports: lib.unique (builtins.sort builtins.lessThan ports);
  };
  portOptions = {
    allowedTCPPorts = portList;
    allowedUDPPorts = portList;
  };

  # nixos/modules/tasks/network-interfaces.nix: one static address.
  ipv4Address = types.submodule {
    options = {
      address = mkOption { type = types.str; };
      prefixLength = mkOption {
        type = types.addCheck types.int (n: n >= 0 && n <= 32);
      };
    };
  };
in
{
  options.networking = {
    # nixos/modules/tasks/network-interfaces.nix
    hostName = mkOption {
      type = types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$";
      default = "nixos";
    };
    useDHCP = mkOption {
      type = types.bool;
      default = true;
    };
    interfaces = mkOption {
      type = types.attrsOf (
        types.submodule {
          options.ipv4.addresses = mkOption {
            type = types.listOf ipv4Address;
            default = [ ];
          };
          # null: a DHCP client runs here only when networking.useDHCP is on and the
          # interface has no static address (dhcpcd.nix's ignoredInterfaces).
          options.useDHCP = mkOption {
            type = types.nullOr types.bool;
            default = null;
          };
        }
      );
      default = { };
    };

    # nixos/modules/services/networking/firewall.nix
    firewall = portOptions // {
      enable = mkOption {
        type = types.bool;
        default = true;
      };
      interfaces = mkOption {
        type = types.attrsOf (types.submodule { options = portOptions; });
        default = { };
      };
    };
  };
}
