# The deployment's root component. Every entry of `landscaper.machines` (machines.nix)
# becomes one Landscaper machine component, named like the entry, with four members:
#   installation_host_key, installation_pxe_nbp, ssh_host_public_key, nixos.
# Their state (installation key pairs included) is kept in landscaper-state.json.
{
  config,
  lib,
  members,
  providers,
  landscaperFlake,
  ...
}:
let
  inherit (lib) mkOption types;

  stateMember = "landscaper_state";

  machineType = types.submodule {
    options = {
      mac = mkOption {
        type = types.str;
        description = "MAC address the server network-boots with.";
      };
      host = mkOption {
        type = types.str;
        description = "Address the installed server is reachable at over SSH (e.g. its DHCP reservation).";
      };
      disko = mkOption {
        type = types.deferredModule;
        description = "The server's disk layout (a disko module). Its disks are wiped at install.";
      };
      nixos.module = mkOption {
        type = types.deferredModule;
        default = { };
        description = "The server's NixOS configuration.";
      };
      system = mkOption {
        type = types.str;
        default = "x86_64-linux";
        description = "The server's platform.";
      };
      bmc = mkOption {
        type = types.nullOr (types.attrsOf types.anything);
        default = null;
        description = ''
          The server's BMC (`address`, `username`, `passwordFile`, `port`, ...: the
          machine component's `bmc` options). Set: `nixops4 apply` switches the server on
          into its network install; null: power it on by hand.
        '';
      };
      dns = mkOption {
        type = types.attrsOf types.anything;
        default = { };
        description = ''
          The server's DNS records on the site's authoritative server (`zone`, `server`,
          `tsigKeyName`, `tsigSecretFile`, `reverseZone`, ...: the machine component's
          `dns` options, nixos/machine-dns.nix). Empty: no records.
        '';
      };
    };
  };
in
{
  options.landscaper = {
    machines = mkOption {
      type = types.attrsOf machineType;
      default = { };
      description = "The servers Landscaper installs, by name (the design's proxmoxMACs).";
    };
    deployer = {
      publicKeys = mkOption {
        type = types.listOf types.str;
        description = "Public keys that may log in as root to the installers and the servers.";
      };
      privateKeyFile = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Private key used by nixops4 (read at run time; null: the ssh-agent).";
      };
    };
    stateVersion = mkOption {
      type = types.str;
      description = "system.stateVersion of newly installed servers.";
    };
  };

  config = {
    providers.local = landscaperFlake.inputs.nixops4.modules.nixops4Provider.local;

    members = {
      ${stateMember} = {
        type = providers.local.state_file;
        inputs.name = "landscaper-state.json";
      };
    }
    // lib.mapAttrs (
      name: machine:
      if name == stateMember then
        throw "landscaper.machines: the name ${stateMember} is taken by the deployment's state file"
      else
        {
          imports = [ landscaperFlake.modules.nixops4Component.machine ];
          inherit (machine)
            mac
            host
            disko
            system
            ;
          nixos.module = machine.nixos.module;
          inherit (machine) dns bmc;
          inherit (config.landscaper) deployer stateVersion;
          stateResource = members.${stateMember};
        }
    ) config.landscaper.machines;
  };
}
