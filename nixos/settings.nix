# Landscaper's config file, rendered from Nix.
#
# Pure: builtins only (no nixpkgs `lib`), so the test command can evaluate it with a bare
# `nix-instantiate --eval` on a machine without nixpkgs. The NixOS module renders
# `services.landscaper.settings` through `render`.
#
# The keys and defaults mirror DESIGN.md "Config and command line" and
# src/config/config.ts `defaultConfig()` (test/nix/nix.test.ts checks that they agree).
# `address` has no static default: Landscaper picks the first non-loopback IPv4 at run
# time, so a null or absent `address` is left out of the file.
let
  defaults = {
    stateDir = "/var/lib/landscaper";
    http = {
      listen = "0.0.0.0";
      port = 80;
    };
    tftp = {
      enable = true;
      port = 69;
      maxBlksize = 1468;
      maxWindowsize = 64;
      maxTransfers = 1000;
      maxPerClient = 4;
      threads = 2;
    };
    dhcp = {
      enable = true;
      port = 67;
      proxyPort = 4011;
      answerUnknown = false;
      # "proxy" beside the site's DHCP server, or "server": Landscaper hands out the
      # addresses itself, `server` (src/dhcpd/config.ts) saying which.
      mode = "proxy";
      server = null;
    };
    control = {
      socket = "/run/landscaper/control.sock";
      mode = "0660";
    };
    ipxe = {
      dir = "/usr/lib/ipxe";
      efi = "snponly.efi";
      bios = "undionly.kpxe";
      arm64 = null;
    };
    mdns = {
      enable = true;
    };
    files = {
      allowedRoots = [ "/nix/store" ];
    };
    security = {
      trustedClients = [ "127.0.0.0/8" ];
    };
    afterInstall = "local-boot";
    hooks = {
      onInstalled = null;
    };
    power = {
      ipmitool = "ipmitool";
      timeoutMs = 30000;
    };
  };

  # Top-level keys that hold a plain value rather than a section.
  scalarKeys = [
    "address"
    "stateDir"
    "afterInstall"
  ];

  isSection = name: !(builtins.elem name scalarKeys);

  # Unknown keys are an error in Landscaper too; failing at evaluation names the key
  # before a system is even built. Checked in this order, lazily: each test only runs
  # once the previous ones passed.
  checkKeys =
    settings:
    let
      given = builtins.attrNames settings;
      unknownTop = builtins.filter (k: !(builtins.hasAttr k defaults) && k != "address") given;
      sections = builtins.filter isSection given;
      notAttrs = builtins.filter (k: !(builtins.isAttrs settings.${k})) sections;
      unknownSub = builtins.concatMap (
        section:
        map (sub: "${section}.${sub}") (
          builtins.filter (sub: !(builtins.hasAttr sub defaults.${section})) (
            builtins.attrNames settings.${section}
          )
        )
      ) sections;
    in
    if !(builtins.isAttrs settings) then
      throw "services.landscaper.settings: expected an attribute set"
    else if unknownTop != [ ] then
      throw "services.landscaper.settings: unknown key \"${builtins.head unknownTop}\""
    else if notAttrs != [ ] then
      throw "services.landscaper.settings: ${builtins.head notAttrs}: expected an attribute set"
    else if unknownSub != [ ] then
      throw "services.landscaper.settings: unknown key \"${builtins.head unknownSub}\""
    else
      settings;

  # Defaults with the given settings laid over them, one section deep: a deeper value
  # (`dhcp.server`) is taken whole, and Landscaper checks its keys.
  merge =
    settings:
    let
      checked = checkKeys settings;
      overlay =
        name: value: if isSection name then value // (checked.${name} or { }) else checked.${name} or value;
      address = checked.address or null;
    in
    builtins.mapAttrs overlay defaults // (if address == null then { } else { inherit address; });
in
{
  inherit defaults merge;

  # The config file's text: defaults merged, keys sorted (builtins.toJSON sorts them).
  render = settings: builtins.toJSON (merge settings);
}
