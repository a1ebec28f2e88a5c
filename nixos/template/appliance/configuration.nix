# The Landscaper appliance host. Adjust the interface, its address and the bootloader to
# the machine, then install it from landscaper.iso:
#   nixos-install --flake /mnt/root/fediversity-network#landscaper
{ lib, pkgs, ... }:
let
  # The interface on the LAN where the servers to install network-boot.
  lan = "enp1s0";

  # Does that LAN have a DHCP server already (the site's router, say)?
  #   true:  Landscaper only adds the network-boot answers (proxyDHCP); the site's server
  #          keeps handing out the addresses.
  #   false: nothing else hands out addresses there (a switch of its own): Landscaper
  #          becomes the DHCP server, ./dhcp-server.nix.
  # README.md, "2. Once: which DHCP", says more.
  siteDhcp = true;
in
{
  imports =
    # Written by `nixos-generate-config --root /mnt` (copy it next to this file).
    lib.optional (builtins.pathExists ./hardware-configuration.nix) ./hardware-configuration.nix
    ++ lib.optional (!siteDhcp) ./dhcp-server.nix;

  networking.hostName = "landscaper";
  # hardware-configuration.nix sets this too; here so that the flake evaluates without it.
  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";

  # UEFI; for BIOS use boot.loader.grub.device = "/dev/sda" instead.
  boot.loader.systemd-boot.enable = true;
  boot.loader.efi.canTouchEfiVariables = true;

  # A static address on the LAN: Landscaper puts it in its replies and boot URLs (and
  # as the DHCP server, its network is the one it serves).
  networking.interfaces.${lan}.ipv4.addresses = [
    {
      address = "192.168.10.2";
      prefixLength = 24;
    }
  ];

  services.landscaper = {
    enable = true;
    interface = lan;
    openFirewall = true;
    # settings follow DESIGN.md's config keys; `address` defaults to the interface's.
    settings = { };
  };

  services.openssh.enable = true;
  # The same keys as the servers: deployer.pub, one per line.
  users.users.root.openssh.authorizedKeys.keys = lib.optionals (builtins.pathExists ../deployer.pub) (
    builtins.filter (line: line != "") (lib.splitString "\n" (builtins.readFile ../deployer.pub))
  );

  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];
  environment.systemPackages = [ pkgs.git ];

  # The release this host was first installed with; never change it afterwards.
  system.stateVersion = "26.05";
}
