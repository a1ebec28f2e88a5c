# The template's appliance host (nixosConfigurations.landscaper of its flake.nix, with
# the flake's nixosModules.landscaper), plus `extraModules`.
{
  reference,
  extraModules ? [ ],
}:
let
  flakes = import ./flakes.nix { inherit reference; };
  inherit (flakes) lib;
  system = flakes.template.nixosConfigurations.landscaper.extendModules { modules = extraModules; };
  inherit (system) config;
  cfg = config.services.landscaper;
  pkgs = system._module.args.pkgs;

  # What services.landscaper renders: its effective settings, through nixos/settings.nix.
  configText = (import ../../../nixos/settings.nix).render cfg.settings;
  configFile = pkgs.writeText "landscaper.json" configText;
  # The build-time check as DESIGN.md describes it; its store path must be the one the
  # unit runs with.
  checkedConfigFile = pkgs.runCommand "landscaper-checked.json" { } ''
    ${lib.getExe' cfg.package "landscaper"} serve --check-config --config ${configFile} > /dev/null
    cp ${configFile} $out
  '';
in
{
  inherit system;
  summary = {
    unit = config.systemd.services.landscaper;
    inherit configText;
    checkedConfigFile = "${checkedConfigFile}";
    checkCommand = checkedConfigFile.buildCommand;
    package = "${cfg.package}";
    firewall = config.networking.firewall;
    rmemMax = config.boot.kernel.sysctl."net.core.rmem_max";
    user = {
      inherit (config.users.users.landscaper)
        isSystemUser
        group
        home
        ;
    };
    groups = builtins.attrNames config.users.groups;
    socketVariable = config.environment.variables.LANDSCAPER_SOCKET;
    systemPackages = map (p: p.name) config.environment.systemPackages;
    services = builtins.attrNames config.systemd.services;
    flakeSource = config.systemd.services.landscaper-flake-source.script;
    template = config.systemd.services.landscaper-deployment-template;
    toplevel = config.system.build.toplevel.outPath;
    inherit (config) warnings;
  };
}
