# Stand-in for nixpkgs' nixos/modules/installer/cd-dvd/installation-cd-minimal.nix and the
# ISO options nixos/iso.nix sets: image.baseName (nixos/modules/image/file-options.nix;
# iso-image.nix defines it at normal priority, which is why iso.nix forces its own) and
# isoImage.appendToMenuLabel (nixos/modules/installer/cd-dvd/iso-image.nix), and
# installation-cd-base.nix's own system.stateVersion.
{ config, lib, ... }:
{
  options = {
    image.baseName = lib.mkOption { type = lib.types.str; };
    isoImage.appendToMenuLabel = lib.mkOption {
      type = lib.types.str;
      default = " Installer";
    };
  };

  config = {
    image.baseName = "nixos-minimal-${config.system.nixos.release}-${config.nixpkgs.hostPlatform.system}";
    system.stateVersion = lib.mkDefault lib.trivial.release;
    # iso-image.nix: the image is system.build.isoImage, named after image.baseName.
    system.build.isoImage = lib.mkDefault { fileName = "${config.image.baseName}.iso"; };
  };
}
