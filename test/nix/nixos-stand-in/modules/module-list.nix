# The stand-in for nixpkgs' nixos/modules/module-list.nix: the options Landscaper, its
# template, disko and nixops4-nixos set or read, each with nixpkgs' type and default.
[
  ./options/system.nix
  ./options/boot.nix
  ./options/networking.nix
  ./options/users.nix
  ./options/systemd.nix
  ./options/misc.nix
]
