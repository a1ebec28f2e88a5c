# The network boot program for one machine: a NixOS netboot image (nixpkgs'
# netboot-minimal) whose only job is to install that machine.
#
# At boot, `landscaper-agent` runs nbp/agent.sh before sshd starts. The agent reads
# landscaper.url/token/mac from /proc/cmdline, fetches its job from Landscaper, writes the
# installation host key for sshd (/etc/ssh/ssh_host_ed25519_key), runs the job's steps
# reporting progress, calls back and reboots. The job, built below, partitions with the
# machine's disko script, installs its prebuilt *base* system with nixos-install and copies
# the installation host key into it. Both store paths are in the image's squashfs
# (netboot.storeContents), so the install needs no network beyond Landscaper.
#
# Everything Landscaper needs to register the machine is in `system.build.landscaper`:
# `{ kernel, initrd, cmdline, job }` (kernel and initrd are store paths on the host that
# builds this; the command line carries `init=`, which netboot images require).
{
  config,
  lib,
  pkgs,
  modulesPath,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.landscaper.installer;

  hostKey = "/etc/ssh/ssh_host_ed25519_key";
in
{
  imports = [ (modulesPath + "/installer/netboot/netboot-minimal.nix") ];

  options.landscaper.installer = {
    target = mkOption {
      type = types.package;
      description = ''
        The machine's base system (`config.system.build.toplevel` of a NixOS
        configuration with the disko file systems, sshd and the deployer's key), installed
        with `nixos-install --system`.
      '';
    };
    diskoScript = mkOption {
      type = types.package;
      description = ''
        The machine's `config.system.build.diskoScript`: destroys, partitions, formats and
        mounts the disks under /mnt without asking.
      '';
    };
    authorizedKeys = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Public keys that may log in as root to the installer (to watch or debug an install).";
    };
    agent = mkOption {
      type = types.path;
      default = ./agent.sh;
      defaultText = lib.literalExpression "<landscaper>/nbp/agent.sh";
      description = "The installer agent (POSIX sh).";
    };
    after = mkOption {
      type = types.enum [
        "reboot"
        "poweroff"
        "none"
      ];
      default = "reboot";
      description = "What the agent does after a successful install.";
    };
  };

  config = {
    # The base system and the disko script travel inside the image: netboot.nix packs
    # the closures of netboot.storeContents into the squashfs. (system.extraDependencies
    # would not do: netboot-minimal.nix empties it with mkOverride 70.)
    netboot.storeContents = [
      cfg.target
      cfg.diskoScript
    ];

    # The installer lives for one install and keeps no state; nothing in the netboot
    # profiles sets this, and nixpkgs warns on every evaluation when it is left unset.
    system.stateVersion = lib.mkDefault lib.trivial.release;

    # The installer profile ships documentation and the manual; an install does not
    # read them, and every megabyte is sent over the LAN to each machine.
    documentation.enable = lib.mkForce false;
    documentation.nixos.enable = lib.mkForce false;

    services.openssh = {
      enable = true;
      settings = {
        PasswordAuthentication = false;
        KbdInteractiveAuthentication = false;
        PermitRootLogin = lib.mkForce "prohibit-password";
      };
      hostKeys = [
        {
          type = "ed25519";
          path = hostKey;
        }
      ];
    };
    # Older installer profiles keep sshd from starting by itself.
    systemd.services.sshd.wantedBy = lib.mkOverride 40 [ "multi-user.target" ];
    users.users.root.openssh.authorizedKeys.keys = cfg.authorizedKeys;

    # Progress on the serial console as well as the screen (the last console= is
    # /dev/console).
    boot.kernelParams = [
      "console=ttyS0,115200n8"
      "console=tty0"
    ];

    systemd.services.landscaper-agent = {
      description = "Landscaper installer agent";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ];
      # sshd must start with the installation host key the agent writes. If the agent
      # fails, sshd still starts (ordering only), so the operator can log in and look.
      before = [ "sshd.service" ];
      path = [
        # The agent runs each step with `sh -ec`.
        pkgs.bash
        pkgs.coreutils
        pkgs.curl
        pkgs.gnugrep
        pkgs.gnused
        pkgs.gawk
        pkgs.findutils
        pkgs.util-linux
        pkgs.iproute2
        pkgs.openssh
        config.systemd.package
        config.nix.package
        # nixos-install and friends, as the installer profile provides them.
        "/run/current-system/sw"
      ];
      serviceConfig = {
        Type = "oneshot";
        ExecStart = "${pkgs.bash}/bin/sh ${cfg.agent}";
        # An install takes as long as it takes; the agent bounds its own waits.
        TimeoutStartSec = "infinity";
        StandardOutput = "journal+console";
        StandardError = "journal+console";
      };
    };

    system.build.landscaper = {
      kernel = "${config.system.build.kernel}/${config.system.boot.loader.kernelFile}";
      initrd = "${config.system.build.netbootRamdisk}/initrd";
      cmdline = "init=${config.system.build.toplevel}/init ${toString config.boot.kernelParams}";
      job = import ./job.nix {
        inherit (cfg) diskoScript target after;
      };
    };
  };
}
