# Evaluates the template's deployment.nix (the root component) with the stub `lib`, for
# test/nix/nix.test.ts: which members `landscaper.machines` turns into, and what each
# machine component is given.
{ machineNames ? [ "web1" "db1" ] }:
let
  lib = import ./stub-lib.nix;
  machine = name: {
    mac = "52:54:00:00:00:0${toString (builtins.stringLength name)}";
    host = "192.0.2.${toString (builtins.stringLength name)}";
    disko = { };
    nixos.module = { };
    system = "x86_64-linux";
    dns = { };
  };
  config.landscaper = {
    machines = builtins.listToAttrs (
      map (name: {
        inherit name;
        value = machine name;
      }) machineNames
    );
    deployer = {
      publicKeys = [ "ssh-ed25519 DEPLOYER" ];
      privateKeyFile = "/root/.ssh/id_ed25519";
    };
    stateVersion = "26.05";
  };
  landscaperFlake = {
    modules.nixops4Component.machine = {
      stand-in = "machine component";
    };
    inputs.nixops4.modules.nixops4Provider.local = {
      stand-in = "nixops4 local provider";
    };
  };
  providers.local.state_file.type = "state_file";
  members.landscaper_state.absoluteMemberPath = [ "landscaper_state" ];
  root = import ../../nixos/template/deployment.nix {
    inherit
      config
      lib
      members
      providers
      landscaperFlake
      ;
  };
in
{
  options = builtins.attrNames root.options.landscaper;
  members = builtins.mapAttrs (
    name: m:
    if name == "landscaper_state" then
      {
        type = m.type.type;
        inherit (m) inputs;
      }
    else
      {
        inherit (m)
          imports
          mac
          host
          system
          deployer
          stateVersion
          ;
        stateResource = m.stateResource.absoluteMemberPath;
      }
  ) root.config.members;
}
