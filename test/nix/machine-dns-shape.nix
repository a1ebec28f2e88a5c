# Evaluates nixos/machine-dns.nix, for test/nix/machine-dns.test.ts: with the stub `lib`,
# option defaults laid under `dns`, and the members NixOps4 would present.
{
  dns ? { },
  host ? "192.0.2.21",
}:
let
  lib = import ./stub-lib.nix;
  module = import ../../nixos/machine-dns.nix { state = "STATE"; };
  evalWith =
    config:
    module {
      inherit config lib;
      name = "web1";
      members.dns_a.outputs.fqdn = "web1.example.org.";
      providers.landscaper.dns_record_set.type = "dns_record_set";
    };
  declared = (evalWith (throw "options must not depend on config")).options.dns;
  defaults = builtins.mapAttrs (_: o: o.default) declared;
  result = evalWith {
    inherit host;
    hostName = "web1";
    dns = defaults // dns;
  };
in
{
  options = builtins.attrNames declared;
  members = builtins.mapAttrs (_: m: {
    type = m.type.type;
    inherit (m) state inputs;
  }) result.config.members;
}
