# The servers to install: add one entry per server, then `nixops4 apply` and power it on
# (or give it a `bmc`, and the apply powers it on).
# README.md walks through it.
{ lib, ... }:
{
  # deployer.pub: public keys, one per line, that may log in as root to the installers and
  # the servers; among them the public half of privateKeyFile (see README.md).
  landscaper.deployer = {
    publicKeys = lib.optionals (builtins.pathExists ./deployer.pub) (
      builtins.filter (line: line != "") (lib.splitString "\n" (builtins.readFile ./deployer.pub))
    );
    privateKeyFile = "/root/.ssh/id_ed25519";
  };

  # The NixOS release new servers are first installed with. Never change it for a
  # server that is already installed.
  landscaper.stateVersion = "26.05";

  landscaper.machines = {
    # web1 = {
    #   mac = "52:54:00:12:34:56";
    #   host = "192.168.10.21";
    #   disko = import ./disko/single-disk.nix { device = "/dev/sda"; };
    #   nixos.module =
    #     { pkgs, ... }:
    #     {
    #       services.nginx.enable = true;
    #       networking.firewall.allowedTCPPorts = [ 80 ];
    #     };
    #   # Optional: the BMC, through which the apply switches the server on into its
    #   # network install (IPMI over LAN; the password file is read on the Landscaper host
    #   # and must not be in the Nix store).
    #   bmc = {
    #     address = "192.168.10.121";
    #     username = "admin";
    #     passwordFile = "/root/bmc-web1.password";
    #   };
    #   # Optional: web1.example.org -> host on the site's DNS server (RFC 2136 update
    #   # signed with a TSIG key the server knows), and the PTR back.
    #   dns = {
    #     zone = "example.org";
    #     server = "192.168.10.2";
    #     tsigKeyName = "landscaper";
    #     tsigSecretFile = "/root/dns-tsig.secret"; # the base64 secret alone
    #     reverseZone = "10.168.192.in-addr.arpa";
    #   };
    # };
  };
}
