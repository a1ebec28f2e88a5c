# One machine's base system and netboot installer, built with the flake's own `lib`
# (mkBase, mkInstaller) as nixos/machine.nix builds them; the template's disk layout.
{ reference }:
let
  flakes = import ./flakes.nix { inherit reference; };
  inherit (flakes) lib landscaper;

  base = landscaper.lib.mkBase {
    system = "x86_64-linux";
    diskoConfig = import ../../../nixos/template/disko/single-disk.nix { device = "/dev/vda"; };
    hostName = "web1";
    authorizedKeys = [ "ssh-ed25519 AAAADEPLOYER deployer" ];
    stateVersion = "26.05";
  };
  nbp = landscaper.lib.mkInstaller {
    inherit base;
    authorizedKeys = [ "ssh-ed25519 AAAADEPLOYER deployer" ];
  };
  installer = nbp.installer.config;

  # What the squashfs holds: its store contents and (as far as the stand-in knows) their
  # closures.
  squashfs = installer.system.build.squashfsStore;
  closure = builtins.genericClosure {
    startSet = map (drv: {
      key = drv.outPath;
      inherit drv;
    }) squashfs.storeContents;
    operator =
      item:
      map (drv: {
        key = drv.outPath;
        inherit drv;
      }) (item.drv.closure or [ ]);
  };
in
{
  inherit base nbp;
  summary = {
    inherit (nbp)
      kernel
      initrd
      cmdline
      job
      ;
    target = installer.landscaper.installer.target.outPath;
    diskoScript = installer.landscaper.installer.diskoScript.outPath;
    baseToplevel = base.config.system.build.toplevel.outPath;
    baseDiskoScript = base.config.system.build.diskoScript.outPath;
    installerToplevel = installer.system.build.toplevel.outPath;
    kernelPackage = installer.system.build.kernel.outPath;
    netbootRamdisk = installer.system.build.netbootRamdisk.outPath;
    squashfsContents = map (d: d.outPath) squashfs.storeContents;
    squashfsClosure = map (item: item.key) closure;
    extraDependencies = map toString installer.system.extraDependencies;
    stateVersion = {
      value = installer.system.stateVersion;
      highestPrio = nbp.installer.options.system.stateVersion.highestPrio;
    };
    sshd = {
      inherit (installer.services.openssh) enable settings hostKeys;
      wantedBy = installer.systemd.services.sshd.wantedBy;
    };
    agent = installer.systemd.services.landscaper-agent;
    warnings = installer.warnings;
  };
}
