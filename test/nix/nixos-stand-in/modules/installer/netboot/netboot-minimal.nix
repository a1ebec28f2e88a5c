# Stand-in for nixpkgs' nixos/modules/installer/netboot/netboot-minimal.nix (NixOS/nixpkgs
# 161b3b0108441b7b27fa89a8ce75823bf9229e43) and what it imports: netboot-base.nix,
# netboot.nix (a748cedf46541dd8175ae9e6740a9e259ceaa73e), profiles/installation-device.nix
# (7aa95b1c54ab6c6a7804183311ee494b2d06bd20). Only the definitions that meet
# Landscaper's installer are reproduced, with nixpkgs' priorities.
{
  config,
  lib,
  pkgs,
  ...
}:
{
  # netboot.nix declares this without a type: definitions are merged as nixpkgs merges
  # untyped lists, by concatenation.
  options.netboot.storeContents = lib.mkOption { };

  config = {
    # netboot-minimal.nix: wins over any plain definition of the installer's.
    system.extraDependencies = lib.mkOverride 70 [ ];
    documentation.man.enable = lib.mkOverride 500 true;

    # installation-device.nix: sshd is not started by itself; root may log in.
    systemd.services.sshd.wantedBy = lib.mkOverride 50 [ ];
    services.openssh = {
      enable = true;
      settings.PermitRootLogin = "yes";
    };

    # netboot.nix
    boot.loader.grub.enable = false;
    fileSystems."/" = lib.mkImageMediaOverride {
      fsType = "tmpfs";
      options = [ "mode=0755" ];
    };
    boot.initrd.availableKernelModules = [
      "squashfs"
      "overlay"
    ];
    boot.initrd.kernelModules = [
      "loop"
      "overlay"
    ];
    # What the squashfs holds: the installer's own system, plus whatever else is added.
    netboot.storeContents = [ config.system.build.toplevel ];
    # make-squashfs.nix packs the closures of storeContents; `storeContents` is kept so
    # that tests can follow them.
    system.build.squashfsStore = pkgs.runCommand "nix-store.squashfs" {
      storeContents = config.netboot.storeContents;
    } "mksquashfs" // {
      inherit (config.netboot) storeContents;
    };
    system.build.initialRamdisk = pkgs.runCommand "initrd" { } "make-initrd";
    system.build.netbootRamdisk = pkgs.runCommand "initrd" {
      prepend = "${config.system.build.initialRamdisk}/initrd";
      squashfs = config.system.build.squashfsStore;
    } "make-initrd-ng";
  };
}
