# The template's deployment with one machine, `web1`, evaluated as `nixops4 apply` does:
# NixOps4's own mkRoot (through the template's flake.nix) and its rootFunction, given the
# resource provider system and the outputs of the resources already applied. The result
# is the resource tree NixOps4 receives (`_export`).
{
  reference,
  # Machines whose resources have been applied: NixOps4 hands the modules their outputs
  # (outputValues, by member path).
  applied ? [ "web1" ],
  # More root modules, after the one that adds web1.
  extraModules ? [ ],
  # Outputs of more applied members, by machine and member (e.g. a machine's dns_a).
  extraOutputs ? { },
}:
let
  outputsOf = name: {
    installation_host_key = {
      publicKey = "ssh-ed25519 AAAAINSTALLATION installation@${name}";
      privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nINSTALLATION ${name}\n-----END OPENSSH PRIVATE KEY-----\n";
    };
    installation_pxe_nbp = {
      bootUrl = "http://192.168.10.2/boot/52:54:00:12:34:56.ipxe";
      generation = 1;
      installationHostPublicKey = "ssh-ed25519 AAAAREGISTERED installation@${name}";
    };
    ssh_host_public_key.hostPublicKey = "ssh-ed25519 AAAANEW ${name}";
  };
  outputValues = builtins.listToAttrs (
    map (name: {
      inherit name;
      value = outputsOf name // (extraOutputs.${name} or { });
    }) applied
  );

  flakes = import ./flakes.nix {
    inherit reference;
    extraRootModules = [
      {
        landscaper.deployer.publicKeys = [ "ssh-ed25519 AAAADEPLOYER deployer" ];
        landscaper.machines.web1 = {
          mac = "52:54:00:12:34:56";
          host = "192.168.10.21";
          disko = import ../../../nixos/template/disko/single-disk.nix { device = "/dev/vda"; };
          nixos.module = {
            services.openssh.settings.PermitRootLogin = "prohibit-password";
          };
        };
      }
    ]
    ++ extraModules;
  };
  root = flakes.template.nixops4;
in
rec {
  inherit root flakes;
  args = {
    resourceProviderSystem = "x86_64-linux";
    inherit outputValues;
  };
  export = root.rootFunction args;
  configuration = root.evalWith args;

  # A machine's `nixos` member: whom it connects to and what it deploys there.
  nixosOf =
    name:
    let
      member = configuration.config.members.${name}.members.nixos;
      machine = member.nixos.configuration.config;
    in
    {
      inherit (member) ssh;
      toplevel = machine.system.build.toplevel.outPath;
      hostName = machine.networking.hostName;
      stateVersion = machine.system.stateVersion;
      rootFileSystem = machine.fileSystems."/".fsType;
      grubDevices = machine.boot.loader.grub.devices;
      permitRootLogin = machine.services.openssh.settings.PermitRootLogin;
      authorizedKeys = machine.users.users.root.openssh.authorizedKeys.keys;
      applyCommands = machine.system.activatableSystemBuilderCommands;
    };

  # The resource types a component's `providers.<name>` declares: each input and output
  # required (no default), optional (default null) or defaulted.
  providerOf =
    path:
    let
      inherit (flakes) lib;
      provider = lib.getAttrFromPath path configuration.config;
      kind =
        o:
        if !(o ? default) then
          "required"
        else if o.default == null then
          "optional"
        else
          "defaulted";
      describe =
        module: lib.mapAttrs (_: kind) (removeAttrs (lib.evalModules { modules = [ module ]; }).options [ "_module" ]);
    in
    {
      inherit (provider) executable type;
      resourceTypes = lib.mapAttrs (_: rt: {
        inherit (rt) requireState description;
        inputs = describe rt.inputs;
        outputs = describe rt.outputs;
      }) provider.resourceTypes;
    };
}
