# NixOS VM test of services.landscaper (flake check `service`; needs nixpkgs and KVM, so it
# does not run in this repository's test command). The appliance gets its address from the
# test network's static interface, serves HTTP on the LAN, and its control socket is open
# to members of the `landscaper` group only.
{
  pkgs,
  landscaperModule,
}:
pkgs.testers.runNixOSTest {
  name = "landscaper-service";

  nodes.appliance = {
    imports = [ landscaperModule ];
    services.landscaper = {
      enable = true;
      # The test driver's LAN; its static address becomes settings.address.
      interface = "eth1";
      openFirewall = true;
      nixops4Package = null;
      deploymentTemplate.enable = false;
    };
    users.users.operator = {
      isNormalUser = true;
      extraGroups = [ "landscaper" ];
    };
    users.users.stranger.isNormalUser = true;
  };

  nodes.client =
    { pkgs, ... }:
    {
      environment.systemPackages = [ pkgs.curl ];
    };

  testScript = ''
    start_all()
    appliance.wait_for_unit("landscaper.service")
    appliance.wait_for_open_port(80)

    # The LAN sees the HTTP server through the interface's firewall opening.
    client.wait_for_unit("network-online.target")
    client.succeed("curl -sf http://appliance/metrics > /dev/null")

    # The socket: 0660, group landscaper; the group may use the CLI, others may not.
    appliance.succeed("test \"$(stat -c '%a %G' /run/landscaper/control.sock)\" = '660 landscaper'")
    appliance.succeed("su - operator -c 'landscaper machines list --json'")
    appliance.fail("su - stranger -c 'landscaper machines list --json'")

    # The sandbox: its own user, one capability, state only for itself.
    appliance.succeed("test \"$(systemctl show -P User landscaper.service)\" = landscaper")
    appliance.succeed("systemctl show -P CapabilityBoundingSet landscaper.service | grep -qx cap_net_bind_service")
    appliance.succeed("test \"$(stat -c %a /var/lib/landscaper)\" = 700")
  '';
}
