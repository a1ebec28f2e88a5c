// services.landscaper as the template's appliance host configures it, evaluated with the
// real module system (nixpkgs' lib) against the nixpkgs stand-in (test/nix/nixos-stand-in:
// nixpkgs' own option types and priorities, derivation-like packages).
import { test } from "node:test";
import assert from "node:assert/strict";
import { evalExpr, evalJson, checkConfigText } from "./nix-tools.js";
import { DEFAULT_RECV_BUFFER } from "../../src/dhcp/server/server.js";

interface Appliance {
  unit: {
    wantedBy: string[];
    after: string[];
    environment: Record<string, string>;
    serviceConfig: Record<string, unknown>;
  };
  configText: string;
  checkedConfigFile: string;
  checkCommand: string;
  package: string;
  firewall: {
    enable: boolean;
    allowedTCPPorts: number[];
    allowedUDPPorts: number[];
    interfaces: Record<string, { allowedTCPPorts: number[]; allowedUDPPorts: number[] }>;
  };
  rmemMax: number | null;
  user: { isSystemUser: boolean; group: string; home: string };
  groups: string[];
  socketVariable: string;
  systemPackages: string[];
  services: string[];
  warnings: string[];
}

function appliance(extraModules = "[ ]"): Appliance {
  return evalJson(
    "appliance.nix",
    "eval.summary",
    `{ extraModules = ${extraModules}; }`,
  ) as Appliance;
}

test("the appliance's landscaper unit: its user, capabilities and sandbox", () => {
  const a = appliance();
  const sc = a.unit.serviceConfig;
  assert.deepEqual(a.unit.wantedBy, ["multi-user.target"]);
  assert.deepEqual(a.unit.after, ["network-online.target"]);
  assert.equal(a.unit.environment.NODE_ENV, "production");
  assert.equal(sc.ExecStart, `${a.package}/bin/landscaper serve --config ${a.checkedConfigFile}`);
  assert.equal(sc.User, "landscaper");
  assert.equal(sc.Group, "landscaper");
  assert.deepEqual(a.user, {
    isSystemUser: true,
    group: "landscaper",
    home: "/var/lib/landscaper",
  });
  assert.deepEqual(a.groups, ["landscaper"]);
  // Only the ports: no raw sockets, no interface binding.
  assert.deepEqual(sc.AmbientCapabilities, ["CAP_NET_BIND_SERVICE"]);
  assert.deepEqual(sc.CapabilityBoundingSet, ["CAP_NET_BIND_SERVICE"]);
  for (const [key, value] of Object.entries({
    NoNewPrivileges: true,
    ProtectSystem: "strict",
    ProtectHome: true,
    PrivateTmp: true,
    PrivateDevices: true,
    PrivateUsers: false,
    ProtectKernelTunables: true,
    ProtectKernelModules: true,
    ProtectControlGroups: true,
    RestrictNamespaces: true,
    RestrictSUIDSGID: true,
    UMask: "0077",
    StateDirectory: "landscaper",
    StateDirectoryMode: "0700",
    RuntimeDirectory: "landscaper",
    RuntimeDirectoryMode: "0750",
    DevicePolicy: "closed",
  }))
    assert.deepEqual(sc[key], value, key);
  assert.deepEqual(sc.RestrictAddressFamilies, ["AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK"]);
  assert.deepEqual(sc.SystemCallFilter, ["@system-service", "~@privileged"]);
  assert.deepEqual(sc.ReadWritePaths, []);
  assert.equal(a.socketVariable, "/run/landscaper/control.sock");
  assert.ok(a.systemPackages.some((p) => p.startsWith("landscaper-")));
  assert.ok(a.systemPackages.includes("nixops4"), "the flake's module installs NixOps4");
  assert.ok(a.services.includes("landscaper-flake-source"));
  assert.ok(a.services.includes("landscaper-deployment-template"));
  assert.deepEqual(a.warnings, []);
});

test("the appliance's rendered config is checked at build time and accepted by landscaper serve --check-config", () => {
  const a = appliance();
  // The unit runs with the file that the build-time check produced from this text.
  assert.match(
    a.checkCommand,
    /\/bin\/landscaper serve --check-config --config \/nix\/store\/[a-z0-9]{32}-landscaper\.json > \/dev\/null/,
  );
  const rendered = JSON.parse(a.configText) as Record<string, unknown>;
  // The interface's static address became `address`; iPXE comes from the package.
  assert.equal(rendered.address, "192.168.10.2");
  assert.match((rendered.ipxe as { dir: string }).dir, /^\/nix\/store\/[a-z0-9]{32}-ipxe-/);

  const check = checkConfigText(a.configText, "appliance");
  assert.equal(check.status, 0, `landscaper serve --check-config refused it:\n${check.stderr}`);
  const effective = JSON.parse(check.stdout) as Record<string, unknown>;
  assert.equal(effective.address, "192.168.10.2");
  assert.deepEqual(effective.dhcp, rendered.dhcp);
});

test("the appliance opens its ports on the LAN interface only", () => {
  const a = appliance();
  assert.equal(a.firewall.enable, true);
  assert.deepEqual(a.firewall.allowedTCPPorts, []);
  assert.deepEqual(a.firewall.allowedUDPPorts, []);
  assert.deepEqual(Object.keys(a.firewall.interfaces), ["enp1s0"]);
  assert.deepEqual(a.firewall.interfaces.enp1s0, {
    allowedTCPPorts: [80],
    allowedUDPPorts: [67, 69, 4011, 5353],
  });
  // Ports follow the settings.
  const moved = appliance(
    "[ { services.landscaper.settings = { http.port = 8080; tftp.enable = false; mdns.enable = false; }; } ]",
  );
  assert.deepEqual(moved.firewall.interfaces.enp1s0, {
    allowedTCPPorts: [8080],
    allowedUDPPorts: [67, 4011],
  });
});

test("an unknown services.landscaper.settings key fails the evaluation, naming it", () => {
  for (const [settings, message] of [
    ["{ bogus = 1; }", /unknown key "bogus"/],
    ["{ http.prot = 80; }", /unknown key "http\.prot"/],
  ] as const) {
    const r = evalExpr(
      "appliance.nix",
      "eval.summary.unit.serviceConfig.ExecStart",
      `{ extraModules = [ { services.landscaper.settings = ${settings}; } ]; }`,
    );
    assert.notEqual(r.status, 0, `settings ${settings} were accepted`);
    assert.match(r.stderr, message);
  }
});

test("net.core.rmem_max: the DHCP sockets' 16 MiB; nixpkgs takes the highest value, so a lower plain definition elsewhere does not shrink it", () => {
  assert.equal(appliance().rmemMax, DEFAULT_RECV_BUFFER);
  // Another module asking for less, at the normal priority.
  assert.equal(
    appliance('[ { boot.kernel.sysctl."net.core.rmem_max" = 212992; } ]').rmemMax,
    DEFAULT_RECV_BUFFER,
  );
  // ... and one asking for more gets more.
  assert.equal(
    appliance('[ { boot.kernel.sysctl."net.core.rmem_max" = 33554432; } ]').rmemMax,
    33554432,
  );
});

test("landscaper.iso (nixosConfigurations.landscaper-iso): Landscaper, NixOps4 and the template on nixpkgs' minimal CD, the service not started", () => {
  const iso = evalJson(
    "flakes.nix",
    `let c = eval.landscaper.nixosConfigurations.landscaper-iso.config; in {
      file = c.system.build.isoImage.fileName;
      label = c.isoImage.appendToMenuLabel;
      packages = map (p: p.name) c.environment.systemPackages;
      services = builtins.attrNames c.systemd.services;
      enabled = c.services.landscaper.enable;
      features = c.nix.settings.experimental-features;
      motd = c.users.motd;
      toplevel = c.system.build.toplevel.outPath;
      warnings = c.warnings;
    }`,
  ) as {
    file: string;
    label: string;
    packages: string[];
    services: string[];
    enabled: boolean;
    features: string[];
    motd: string;
    warnings: string[];
  };
  assert.equal(iso.file, "landscaper.iso");
  assert.equal(iso.label, " Landscaper installer");
  assert.ok(iso.packages.some((p) => p.startsWith("landscaper-")));
  assert.ok(iso.packages.includes("nixops4"));
  assert.equal(iso.enabled, false);
  assert.deepEqual(iso.services.sort(), [
    "landscaper-deployment-template",
    "landscaper-flake-source",
  ]);
  assert.deepEqual(iso.features, ["nix-command", "flakes"]);
  assert.match(iso.motd, /nixos-install --flake \/mnt\/root\/fediversity-network#landscaper/);
  assert.deepEqual(iso.warnings, []);
});
