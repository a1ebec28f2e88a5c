# The template's deployment with one machine, `web1`, evaluated as `nixops4 apply` does:
# NixOps4's own mkRoot (through the template's flake.nix) and its rootFunction, given the
# resource provider system and the outputs of the resources already applied. The result
# is the resource tree NixOps4 receives (`_export`).
{
  reference,
  # Outputs the resources have produced, by member path (NixOps4's outputValues).
  outputValues ? {
    web1 = {
      installation_host_key = {
        publicKey = "ssh-ed25519 AAAAINSTALLATION installation";
        privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nINSTALLATION\n-----END OPENSSH PRIVATE KEY-----\n";
      };
      installation_pxe_nbp = {
        bootUrl = "http://192.168.10.2/boot/52:54:00:12:34:56.ipxe";
        generation = 1;
        installationHostPublicKey = "ssh-ed25519 AAAAINSTALLATION installation";
      };
      ssh_host_public_key.hostPublicKey = "ssh-ed25519 AAAANEW web1";
    };
  },
  # More root modules, after the one that adds web1.
  extraModules ? [ ],
}:
let
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
}
