# The machine component's optional DNS records (imported by machine.nix): when `dns.zone`
# is set, a `dns_a` member (dns_record_set) gives the machine's address its name on the
# site's authoritative server, and with `dns.reverseZone` a `dns_ptr` member names the
# address back. Both keep their state where the machine's other members do.
#
# Applied to `{ state }`, the state resource machine.nix chose.
{ state }:
{
  config,
  lib,
  name,
  members,
  providers,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.dns;

  inherit (import ./options.nix lib) optional;

  address = if cfg.address != null then cfg.address else config.host;

  tsigSecretFile =
    if cfg.tsigSecretFile != null && lib.hasPrefix builtins.storeDir cfg.tsigSecretFile then
      throw "landscaper machine ${name}: dns.tsigSecretFile ${cfg.tsigSecretFile} is in the Nix store, where anyone can read it"
    else
      cfg.tsigSecretFile;

  server =
    if cfg.server != null then
      cfg.server
    else
      throw "landscaper machine ${name}: dns.zone is set, so dns.server (the zone's primary) must be too";

  # Inputs both records share; null ones are absent to the provider.
  common = {
    inherit server tsigSecretFile;
    inherit (cfg) ttl tsigKeyName tsigAlgorithm;
    inherit (cfg) overwrite;
  };

  # 192.0.2.10 -> 10.2.0.192.in-addr.arpa.
  ptrName =
    lib.concatStringsSep "." (lib.reverseList (lib.splitString "." address)) + ".in-addr.arpa.";
in
{
  options.dns = {
    zone = optional types.str ''
      The zone the machine's name goes in (e.g. `example.org`). When null, no DNS
      records are declared.
    '';
    server = optional types.str "The zone's primary server: `host`, `host:port` or `[IPv6]:port`.";
    name = optional types.str "The owner name, relative to `zone` (the host name when null).";
    address = optional types.str "The IPv4 address of the A record (`host` when null, which must then be an address).";
    ttl = optional types.int "TTL of the records (3600 when null).";
    tsigKeyName = optional types.str "TSIG key name the server knows.";
    tsigAlgorithm = optional types.str "TSIG algorithm (`hmac-sha256` when null).";
    tsigSecretFile = optional types.str ''
      Path of the base64 TSIG secret, read by the provider at run time. A string, not a
      Nix path, so that the secret never enters the Nix store.
    '';
    reverseZone = optional types.str ''
      When set (e.g. `2.0.192.in-addr.arpa`), a PTR record in this zone names the
      address back to the machine.
    '';
    overwrite = mkOption {
      type = types.bool;
      default = false;
      description = "Replace records changed by hand instead of failing.";
    };
  };

  config.members = lib.optionalAttrs (cfg.zone != null) (
    {
      dns_a = {
        type = providers.landscaper.dns_record_set;
        inherit state;
        inputs = common // {
          inherit (cfg) zone;
          name = if cfg.name != null then cfg.name else config.hostName;
          type = "A";
          records = [ address ];
        };
      };
    }
    // lib.optionalAttrs (cfg.reverseZone != null) {
      dns_ptr = {
        type = providers.landscaper.dns_record_set;
        inherit state;
        inputs = common // {
          zone = cfg.reverseZone;
          name = ptrName;
          type = "PTR";
          records = [ members.dns_a.outputs.fqdn ];
        };
      };
    }
  );
}
