# One bare server, from its MAC to its real NixOS configuration: a NixOps4 component
# (class nixops4Component), exported by the flake as `modules.nixops4Component.machine`.
#
# Its members, in the order NixOps4 resolves them:
#   installation_host_key   ssh_keypair: a temporary SSH host key for the installer;
#   installation_pxe_nbp    pxe_nbp: registers the per-machine installer with Landscaper;
#   ssh_host_public_key     waits for the install, checks the installation key, rekeys;
#   nixos                   nixops4-nixos: copies and switches to the real configuration,
#                           trusting the host key ssh_host_public_key produced.
# The stateful members keep their state in `stateResource` (a state_file resource of the
# deployment); without one, the component adds its own `state_file` member.
# With `dns.zone` set, machine-dns.nix adds `dns_a` (and with `dns.reverseZone`, `dns_ptr`):
# dns_record_set members naming the machine on the site's DNS server.
#
# The deployer logs in with a private key file read at run time, or with the ssh-agent:
# no private key ever passes through the Nix store.
#
# Applied to the flake's parts: `{ landscaperLib, provider, nixops4, nixops4-nixos,
# nixpkgs }`.
{
  landscaperLib,
  provider,
  nixops4,
  nixops4-nixos,
  nixpkgs,
}:
{
  config,
  lib,
  name,
  members,
  providers,
  ...
}:
let
  inherit (lib) mkOption types;
  inherit (import ./options.nix lib) optional;

  defaultNixpkgs = nixpkgs;

  privateKeyFile =
    let
      file = config.deployer.privateKeyFile;
    in
    if file != null && lib.hasPrefix builtins.storeDir file then
      throw "landscaper machine ${name}: deployer.privateKeyFile ${file} is in the Nix store, where anyone can read it"
    else
      file;

  machineModules = landscaperLib.machineModules {
    inherit (config) system hostName stateVersion;
    diskoConfig = config.disko;
    authorizedKeys = config.deployer.publicKeys;
  };

  base = config.nixpkgs.lib.nixosSystem { modules = machineModules; };

  nbp = landscaperLib.mkInstaller {
    inherit (config) nixpkgs;
    inherit base;
    authorizedKeys = config.deployer.publicKeys;
    modules = config.installer.modules;
  };

  hostKeyPath = "/etc/ssh/ssh_host_ed25519_key";

  # The BMC as the pxe_nbp input wants it: unset fields left out, so Landscaper's
  # defaults apply; the password file must not be in the world-readable store.
  bmc =
    let
      b = config.bmc;
    in
    if b == null then
      null
    else if lib.hasPrefix builtins.storeDir b.passwordFile then
      throw "landscaper machine ${name}: bmc.passwordFile ${b.passwordFile} is in the Nix store, where anyone can read it"
    else
      lib.filterAttrs (_: v: v != null) {
        protocol = "ipmi";
        inherit (b)
          address
          port
          username
          passwordFile
          cipherSuite
          firmware
          ;
      };

  # A dotted quad of 0..255 without leading zeros: what the control API reads as an IPv4
  # address (so an IPv6 address or a DNS name in `host` reserves nothing).
  octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  isIPv4 = text: builtins.match "${octet}\\.${octet}\\.${octet}\\.${octet}" text != null;

  state = if config.stateResource != null then config.stateResource else members.state_file;

  # The four members of the design, in a module of their own so that `config.members`
  # above can add the state file beside them.
  fourMembers = {
    providers.landscaper = provider;
    providers.local = nixops4.modules.nixops4Provider.local;

    members.installation_host_key = {
      type = providers.landscaper.ssh_keypair;
      inherit state;
      inputs = {
        keyType = "ed25519";
        comment = "landscaper-installation@${config.hostName}";
      };
    };

    members.installation_pxe_nbp = {
      type = providers.landscaper.pxe_nbp;
      inherit state;
      inputs = {
        inherit (config) mac socket;
        # Shown on the status page, in `watch` and `machines list`.
        hostname = config.hostName;
        # Landscaper's DHCP server (server mode) gives the machine this address.
        inherit (config) ipv4;
        inherit (nbp)
          kernel
          initrd
          cmdline
          job
          ;
        installationHostKey = {
          inherit (members.installation_host_key.outputs) publicKey privateKey;
        };
        inherit bmc;
      };
    };

    members.ssh_host_public_key = {
      type = providers.landscaper.ssh_host_public_key;
      inherit state;
      inputs = {
        inherit (config) host mac socket;
        inherit privateKeyFile hostKeyPath;
        user = "root";
        # Taken from the registration (not the key pair) so that this waits for
        # Landscaper to know the machine before asking it to wait for the install.
        expectedHostPublicKey = members.installation_pxe_nbp.outputs.installationHostPublicKey;
        # NixOS's sshd unit kills only its main process on restart (KillMode=process),
        # so the provider's own session survives; not every release has a reload.
        reloadCommand = "systemctl restart sshd.service";
        timeout = config.installTimeout;
      };
    };

    members.nixos = {
      type = providers.local.exec;
      imports = [ nixops4-nixos.modules.nixops4Component.nixos ];
      inherit (config) nixpkgs;
      nixos.module = {
        imports = machineModules ++ [ config.nixos.module ];
      };
      ssh = {
        inherit (config) host;
        user = "root";
        hostPublicKey = members.ssh_host_public_key.outputs.hostPublicKey;
        # nixops4-nixos splits these on spaces into ssh arguments.
        opts = lib.optionalString (privateKeyFile != null) "-i ${privateKeyFile} -o IdentitiesOnly=yes";
      };
    };
  };
in
{
  _class = "nixops4Component";

  options = {
    mac = mkOption {
      type = types.str;
      example = "52:54:00:12:34:56";
      description = "MAC address the machine network-boots with.";
    };
    host = mkOption {
      type = types.str;
      example = "192.168.10.21";
      description = ''
        Address (or DNS name) at which the installed machine is reachable over SSH
        (port 22), for example the address the site's DHCP server reserves for `mac`. An
        IPv4 address here is also reserved in Landscaper (see `ipv4`).
      '';
    };
    ipv4 = mkOption {
      type = types.nullOr types.str;
      default = if isIPv4 config.host then config.host else null;
      defaultText = lib.literalMD "`host` when it is an IPv4 address, else `null`";
      example = "192.168.10.21";
      description = ''
        The IPv4 address reserved for the machine in Landscaper (the `pxe_nbp` input
        `ipv4`): with `dhcp.mode = "server"`, Landscaper's DHCP server always gives it this
        address, to the firmware, the installer and the installed system. No two machines
        may have one address. `null`: no reservation.
      '';
    };
    hostName = mkOption {
      type = types.str;
      default = name;
      defaultText = lib.literalMD "the member's name";
      description = "The machine's host name.";
    };
    disko = mkOption {
      type = types.deferredModule;
      example = lib.literalExpression "import ./disko/single-disk.nix { device = \"/dev/sda\"; }";
      description = ''
        The machine's disko configuration (a NixOS module setting `disko.devices`). The
        installer runs its disko script, which destroys and repartitions those disks
        without asking. An EF02 partition makes GRUB install for BIOS as well as UEFI.
      '';
    };
    nixos.module = mkOption {
      type = types.deferredModule;
      default = { };
      description = ''
        The machine's real NixOS configuration, deployed by nixops4-nixos once the
        install is done. The disko layout, nixos/base.nix (bootloader, sshd, deployer key)
        and the host name are added to it.
      '';
    };
    nixpkgs = mkOption {
      type = types.raw;
      default = defaultNixpkgs;
      defaultText = lib.literalMD "the Landscaper flake's `nixpkgs` input";
      description = "The nixpkgs flake used for the base system, the installer and the real configuration.";
    };
    system = mkOption {
      type = types.str;
      default = "x86_64-linux";
      description = "The machine's platform.";
    };
    stateVersion = mkOption {
      type = types.str;
      example = "25.11";
      description = "`system.stateVersion` of the machine: the release it was first installed with. Never change it.";
    };
    deployer = {
      publicKeys = mkOption {
        type = types.listOf types.str;
        description = "Public keys allowed to log in as root (to the installer and the installed machine).";
      };
      privateKeyFile =
        optional types.str ''
          Path of the deployer's private key, read at run time by the provider and by
          ssh. A string, not a Nix path, so that it is never copied into the store. When
          null, the ssh-agent at `SSH_AUTH_SOCK` is used.
        ''
        // {
          example = "/root/.ssh/id_ed25519";
        };
    };
    socket = optional types.str "Landscaper's control socket, when not `/run/landscaper/control.sock`.";
    bmc = mkOption {
      default = null;
      description = ''
        The machine's BMC (IPMI over LAN). When set, Landscaper sets the next boot to the
        network, once, and powers the machine on when it is registered or re-armed (a
        `reinstall`); a plain re-apply never power-cycles it.
      '';
      type = types.nullOr (
        types.submodule {
          options = {
            address = mkOption {
              type = types.str;
              example = "10.0.9.12";
              description = "IP address or DNS name of the BMC's LAN interface.";
            };
            port = optional types.port "RMCP+ UDP port (Landscaper's default: 623).";
            username = mkOption {
              type = types.str;
              description = "The IPMI user name.";
            };
            passwordFile = mkOption {
              type = types.str;
              example = "/run/secrets/bmc-web-1";
              description = ''
                Path, on the Landscaper host, of a file whose first line is the IPMI
                password. A string, not a Nix path, so that it is never copied into the
                store; a store path is refused.
              '';
            };
            cipherSuite = optional (types.ints.between 0 17) "RMCP+ cipher suite; null lets ipmitool ask the BMC.";
            firmware = optional (types.enum [
              "uefi"
              "bios"
            ]) "What the one-time network boot asks the firmware for (Landscaper's default: uefi).";
          };
        }
      );
    };
    installTimeout = mkOption {
      type = types.ints.positive;
      default = 7200;
      description = "Seconds to wait for the install to complete and for SSH to come up.";
    };
    installer.modules = mkOption {
      type = types.listOf types.deferredModule;
      default = [ ];
      description = "Extra NixOS modules for this machine's netboot installer (drivers, console, ...).";
    };
    stateResource =
      optional types.raw ''
        A `state_file` resource of the deployment (a `members.<name>` reference) that
        keeps this machine's resource state, including the installation key pair. When
        null, the component gets its own `state_file` member writing `stateFile`.
      ''
      // {
        example = lib.literalExpression "members.state";
      };
    stateFile = mkOption {
      type = types.str;
      default = "landscaper-${name}.state.json";
      description = "File (relative to where `nixops4` runs) of the component's own state, when `stateResource` is null.";
    };
  };

  # optionalAttrs, not mkIf: `members` is a lazy attribute set, where an mkIf-false
  # member would still be listed.
  config.members = lib.optionalAttrs (config.stateResource == null) {
    state_file = {
      type = providers.local.state_file;
      inputs.name = config.stateFile;
    };
  };

  imports = [
    fourMembers
    (import ./machine-dns.nix { inherit state; })
  ];
}
