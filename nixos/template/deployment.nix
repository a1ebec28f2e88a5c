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
in
{
  options.landscaper = {
    machines = mkOption {
      # Each entry is a module of the machine component itself (nixos/machine.nix), so its
      # options (mac, host, disko, nixos.module, system, bmc, dns, ipv4, ...) are checked
      # and documented there, not declared a second time here.
      type = types.attrsOf types.deferredModule;
      default = { };
      description = ''
        The servers Landscaper installs, by name (the design's proxmoxMACs): each the
        settings of one machine component (`mac`, `host`, `disko`, `nixos.module`,
        `system`, `bmc`, `dns`, ...). Deployer keys, stateVersion and state are the
        deployment's.
      '';
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
          imports = [
            landscaperFlake.modules.nixops4Component.machine
            machine
          ];
          inherit (config.landscaper) deployer stateVersion;
          stateResource = members.${stateMember};
        }
    ) config.landscaper.machines;
  };
}
