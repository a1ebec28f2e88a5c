# The template's disk layout, through disko's own types (diskoLib.toplevel, as disko's
# CLI evaluates a layout) and through its NixOS module in a machine's base system.
{
  reference,
  device ? "/dev/vda",
}:
let
  flakes = import ./flakes.nix { inherit reference; };
  inherit (flakes) lib landscaper;
  layout = import ../../../nixos/template/disko/single-disk.nix { inherit device; };

  diskoLib = import (reference + "/disko/lib") { inherit lib; };
  byTypes = lib.evalModules {
    modules = [
      { options.disko.devices = lib.mkOption { type = diskoLib.toplevel; }; }
      layout
    ];
  };

  base = landscaper.lib.mkBase {
    system = "x86_64-linux";
    diskoConfig = layout;
    hostName = "web1";
    authorizedKeys = [ "ssh-ed25519 AAAADEPLOYER deployer" ];
    stateVersion = "26.05";
  };
  inherit (base) config;
  pick = fs: { inherit (fs) device fsType options; };
in
{
  # disko's `_config` gives each NixOS option as an mkMerge of the devices' definitions.
  types =
    let
      merged = byTypes.config.disko.devices._config;
    in
    {
      fileSystems = lib.foldl' (a: b: a // b) { } merged.fileSystems.contents;
      grubDevices = lib.concatMap (b: b.loader.grub.devices or [ ]) merged.boot.contents;
    };
  module = {
    fileSystems = lib.mapAttrs (_: pick) config.fileSystems;
    grub = {
      inherit (config.boot.loader.grub)
        enable
        devices
        efiSupport
        efiInstallAsRemovable
        ;
    };
    diskoScript = config.system.build.diskoScript.text;
    hostName = config.networking.hostName;
    stateVersion = config.system.stateVersion;
    authorizedKeys = config.users.users.root.openssh.authorizedKeys.keys;
    sshd = {
      inherit (config.services.openssh) enable hostKeys;
      inherit (config.services.openssh.settings) PasswordAuthentication PermitRootLogin;
    };
  };
}
