# What every machine installed through Landscaper runs from its first boot: enough to be
# reached and deployed to by NixOps4, nothing more. Imported into the base system the
# installer puts on disk *and* into the machine's real configuration (the `nixos` member),
# so that a deployment never removes the bootloader, the disks or the way in.
#
# The disks (file systems, and GRUB's BIOS devices for an EF02 partition) come from the
# machine's disko configuration, imported beside this module.
{ lib, ... }:
let
  inherit (lib) mkDefault;
in
{
  # GRUB for both firmware kinds: BIOS through disko's EF02 partition, UEFI through the
  # removable-media path (no NVRAM entry needed, so a replaced board still boots).
  boot.loader.grub = {
    enable = mkDefault true;
    efiSupport = mkDefault true;
    efiInstallAsRemovable = mkDefault true;
  };

  # Disk and network controllers of common servers and of QEMU, since the base system is
  # built before anyone has run nixos-generate-config on the machine.
  boot.initrd.availableKernelModules = [
    "ahci"
    "ata_piix"
    "nvme"
    "megaraid_sas"
    "mpt3sas"
    "sd_mod"
    "sr_mod"
    "xhci_pci"
    "ehci_pci"
    "usb_storage"
    "usbhid"
    "virtio_pci"
    "virtio_blk"
    "virtio_scsi"
    "virtio_net"
  ];

  networking.useDHCP = mkDefault true;

  # Keys only, ed25519 only. The installer copies the installation host key to this path
  # before the first boot, so sshd never generates one; NixOps4's ssh_host_public_key then
  # replaces it with a key generated on the machine.
  services.openssh = {
    enable = true;
    settings = {
      PasswordAuthentication = false;
      KbdInteractiveAuthentication = false;
      PermitRootLogin = mkDefault "prohibit-password";
    };
    hostKeys = [
      {
        type = "ed25519";
        path = "/etc/ssh/ssh_host_ed25519_key";
      }
    ];
  };

  # nixops4-nixos copies closures with `nix copy --to ssh-ng://`.
  nix.settings.trusted-users = [ "root" ];

  # system.stateVersion is the machine's (nixos/machine.nix `stateVersion`): it must not
  # follow nixpkgs updates.
}
