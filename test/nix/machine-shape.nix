# Evaluates nixos/machine.nix as far as builtins allow, for test/nix/nix.test.ts: with the
# stub `lib`, stand-ins for the flake inputs and for the outputs NixOps4 would inject, and
# option defaults laid under the given values (a one-file imitation of the module system,
# enough to see which members exist and what their inputs are).
{
  stateResource ? null,
  privateKeyFile ? "/root/.ssh/id_ed25519",
}:
let
  lib = import ./stub-lib.nix;

  fakeNixpkgs = {
    lib.nixosSystem = args: {
      config = { };
      inherit args;
    };
  };

  component = import ../../nixos/machine.nix {
    landscaperLib = {
      machineModules = args: [ { machineModulesArgs = args; } ];
      mkInstaller = _args: {
        kernel = "/nix/store/00000000000000000000000000000000-linux/bzImage";
        initrd = "/nix/store/00000000000000000000000000000000-initrd/initrd";
        cmdline = "init=/nix/store/00000000000000000000000000000000-nixos-system/init";
        job = {
          steps = [ ];
          after = "reboot";
        };
      };
    };
    provider = {
      stand-in = "landscaper provider";
    };
    nixops4.modules.nixops4Provider.local = {
      stand-in = "nixops4 local provider";
    };
    nixops4-nixos.modules.nixops4Component.nixos = {
      stand-in = "nixops4-nixos component";
    };
    nixpkgs = fakeNixpkgs;
  };

  # `providers.<name>.<type>` as NixOps4 exposes them: the resource type's metadata.
  providers = {
    landscaper = {
      pxe_nbp.type = "pxe_nbp";
      ssh_keypair.type = "ssh_keypair";
      ssh_host_public_key.type = "ssh_host_public_key";
    };
    local = {
      state_file.type = "state_file";
      exec.type = "exec";
    };
  };

  # Members as NixOps4 presents them once applied: outputs injected, paths known.
  members = {
    state_file.absoluteMemberPath = [
      "web1"
      "state_file"
    ];
    installation_host_key.outputs = {
      publicKey = "ssh-ed25519 INSTALLATION";
      privateKey = "INSTALLATION PRIVATE KEY";
    };
    installation_pxe_nbp.outputs = {
      installationHostPublicKey = "ssh-ed25519 INSTALLATION-AS-REGISTERED";
      bootUrl = "http://192.0.2.2/boot/52:54:00:12:34:56.ipxe";
      generation = 1;
    };
    ssh_host_public_key.outputs.hostPublicKey = "ssh-ed25519 NEW";
  };

  given = {
    mac = "52:54:00:12:34:56";
    host = "192.0.2.21";
    disko = {
      disko.devices = { };
    };
    stateVersion = "26.05";
    deployer = {
      publicKeys = [ "ssh-ed25519 DEPLOYER" ];
      inherit privateKeyFile;
    };
    inherit stateResource;
  };

  evalWith =
    config:
    component {
      inherit
        config
        lib
        providers
        members
        ;
      name = "web1";
    };

  isOption = v: builtins.isAttrs v && (v._type or null) == "option";
  defaultsOf = builtins.mapAttrs (
    _: o: if isOption o then o.default or null else if builtins.isAttrs o then defaultsOf o else o
  );
  over =
    base: top:
    base
    // builtins.mapAttrs (
      n: v:
      if builtins.isAttrs v && builtins.isAttrs (base.${n} or null) && !(isOption v) then
        over base.${n} v
      else
        v
    ) top;

  declared = (evalWith (throw "options must not depend on config")).options;
  config = over (defaultsOf declared) given;
  machine = evalWith config;
  fourMembers = builtins.head machine.imports;

  stateOf = m: if m ? state then m.state.absoluteMemberPath or m.state else null;
in
{
  classOf = machine._class;
  ownMembers = builtins.attrNames machine.config.members;
  providers = builtins.attrNames fourMembers.providers;
  members = builtins.mapAttrs (_: m: {
    type = m.type.type;
    state = stateOf m;
    inputs = m.inputs or null;
  }) fourMembers.members;
  nixos = {
    inherit (fourMembers.members.nixos) ssh;
    imports = fourMembers.members.nixos.imports;
    hasNixpkgs = fourMembers.members.nixos ? nixpkgs;
    moduleImports = builtins.length fourMembers.members.nixos.nixos.module.imports;
  };
}
