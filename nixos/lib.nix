# Builders for installing one machine through Landscaper; the flake's `lib`.
#
#   machineModules { system, diskoConfig, hostName, authorizedKeys, stateVersion }
#     The NixOS modules every installed machine carries: disko's module and the machine's
#     disko configuration, nixos/base.nix, host name, root's authorized keys.
#   mkBase { nixpkgs?, system, diskoConfig, hostName, authorizedKeys, stateVersion, modules? }
#     The base system the installer puts on disk (a nixosSystem).
#   mkInstaller { nixpkgs?, base, authorizedKeys?, modules?, after? }
#     The per-machine netboot installer (nbp/installer.nix) for a base system:
#     { kernel, initrd, cmdline, job, installer } - the first four are exactly the
#     pxe_nbp inputs of the same names.
{
  # The flake's own inputs, used when the caller gives no nixpkgs.
  nixpkgs,
  disko,
}:
let
  inherit (nixpkgs) lib;

  machineModules =
    {
      system,
      diskoConfig,
      hostName,
      authorizedKeys,
      stateVersion,
    }:
    [
      diskoModule
      ./base.nix
      {
        nixpkgs.hostPlatform = lib.mkDefault system;
        networking.hostName = lib.mkDefault hostName;
        users.users.root.openssh.authorizedKeys.keys =
          if authorizedKeys == [ ] then
            throw "landscaper: machine ${hostName} needs at least one deployer public key (root's authorized key)"
          else
            authorizedKeys;
        system.stateVersion = lib.mkDefault stateVersion;
      }
      diskoConfig
    ];

  # The flake input's NixOS module (the machine's layout is `diskoConfig`).
  diskoModule = disko.nixosModules.disko;

  mkBase =
    {
      nixpkgs ? defaultNixpkgs,
      modules ? [ ],
      ...
    }@args:
    nixpkgs.lib.nixosSystem {
      modules =
        machineModules (
          builtins.removeAttrs args [
            "nixpkgs"
            "modules"
          ]
        )
        ++ modules;
    };

  defaultNixpkgs = nixpkgs;

  mkInstaller =
    {
      nixpkgs ? defaultNixpkgs,
      base,
      authorizedKeys ? [ ],
      modules ? [ ],
      after ? "reboot",
    }:
    let
      baseConfig = base.config;
      installer = nixpkgs.lib.nixosSystem {
        modules = [
          ../nbp/installer.nix
          {
            # The installer runs on the machine it installs.
            nixpkgs.hostPlatform = lib.mkDefault baseConfig.nixpkgs.hostPlatform.system;
            landscaper.installer = {
              target = baseConfig.system.build.toplevel;
              diskoScript =
                baseConfig.system.build.diskoScript
                  or (throw "landscaper: the base system has no disko configuration (system.build.diskoScript)");
              inherit authorizedKeys after;
            };
          }
        ]
        ++ modules;
      };
    in
    installer.config.system.build.landscaper // { inherit installer; };
in
{
  inherit machineModules mkBase mkInstaller;
}
