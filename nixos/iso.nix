# landscaper.iso: nixpkgs' minimal installation CD, plus Landscaper (the CLI, NixOps4,
# this flake at /var/lib/landscaper-flake) and the NixOps4 deployment template at
# /root/fediversity-network, which doubles as the flake that installs the appliance host.
#
# Imported by the flake next to `nixosModules.landscaper`; the service itself is not
# started on the live system.
{
  config,
  lib,
  pkgs,
  modulesPath,
  ...
}:
let
  cfg = config.services.landscaper;
in
{
  imports = [ (modulesPath + "/installer/cd-dvd/installation-cd-minimal.nix") ];

  # iso-image.nix names the file "${image.baseName}.iso".
  image.baseName = lib.mkForce "landscaper";
  isoImage.appendToMenuLabel = " Landscaper installer";

  services.landscaper.deploymentTemplate.enable = true;

  environment.systemPackages = [
    cfg.package
    pkgs.git
  ]
  ++ lib.optional (cfg.nixops4Package != null) cfg.nixops4Package;

  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];

  users.motd = ''

    Landscaper installer
    ====================
    This live system installs the Landscaper appliance host: the NixOS machine that
    network-boots and installs every other server on its LAN.

    1. Partition, format and mount the host's disk at /mnt (see the NixOS manual,
       "Installation"), then:  nixos-generate-config --root /mnt
    2. Copy the deployment, which is also the host's flake:
         cp -r /root/fediversity-network /mnt/root/
         cp /mnt/etc/nixos/hardware-configuration.nix /mnt/root/fediversity-network/appliance/
    3. Edit /mnt/root/fediversity-network/appliance/configuration.nix (the LAN interface
       and its address) and put your SSH public key in
       /mnt/root/fediversity-network/deployer.pub. Then install:
         nixos-install --flake /mnt/root/fediversity-network#landscaper
    4. Reboot into the host and follow /root/fediversity-network/README.md: add a
       machine's MAC, run `nixops4 apply`, power the machine on.

  '';
}
