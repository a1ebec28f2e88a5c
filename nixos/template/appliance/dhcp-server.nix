# Landscaper as the DHCP server of the LAN, for a network that has none: a new switch with
# this appliance as its first server. configuration.nix imports it when `siteDhcp = false`.
# Keep it out where the site already runs a DHCP server (two would answer the same
# clients); Landscaper refuses to start in this mode when it hears another one.
{ ... }:
{
  services.landscaper.settings.dhcp = {
    mode = "server";
    server = {
      # `subnet` is the network of the interface's static address (192.168.10.0/24 for
      # 192.168.10.2/24); set it here only to serve another one, e.g. "10.0.0.0/16".
      #
      # Every machine in machines.nix gets its `host` address, always (a reservation).
      # The pool is for everything else that asks (optional: without `range`, only the
      # machines in machines.nix get an address). Keep the `host` addresses out of it.
      range = "192.168.10.100-192.168.10.199";
      # The LAN's gateway and resolvers, if it has any (an isolated network may not):
      # router = "192.168.10.1";
      # dns = [ "192.168.10.1" ];
      # domain = "lan";
      # leaseSeconds = 3600;
    };
  };
}
