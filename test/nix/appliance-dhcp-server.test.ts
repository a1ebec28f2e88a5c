// services.landscaper in `dhcp.mode = "server"` (issue 15): the template's appliance host
// with the mode switched, evaluated with the real module system against the nixpkgs
// stand-in. The subnet comes from the interface's static address (nixos/ipv4.nix) unless
// the operator gives one; without either the evaluation stops, saying what to set.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseServerConfig } from "../../src/dhcpd/config.js";
import { evalExpr, evalJson, nixEval, root, checkConfigText } from "./nix-tools.js";

interface Served {
  config: {
    address?: string;
    dhcp: { mode: string; server: Record<string, unknown> | null };
  };
  configText: string;
  udp: number[];
  tcp: number[];
  path: string[];
}

/** The appliance with `modules` (Nix module expressions) added to the template's host. */
function served(...modules: string[]): Served {
  const s = evalJson(
    "appliance.nix",
    `let s = eval.summary; in {
      configText = s.configText;
      udp = s.firewall.interfaces.enp1s0.allowedUDPPorts;
      tcp = s.firewall.interfaces.enp1s0.allowedTCPPorts;
      path = map (p: p.name) s.unit.path;
      toplevel = s.toplevel;
    }`,
    `{ extraModules = [ ${modules.join(" ")} ]; }`,
  ) as Omit<Served, "config">;
  return { ...s, config: JSON.parse(s.configText) as Served["config"] };
}

const serverMode = `{ services.landscaper.settings.dhcp.mode = "server"; }`;
const lanAddress = (address: string, prefixLength: number) =>
  `({ lib, ... }: { networking.interfaces.enp1s0.ipv4.addresses = lib.mkForce [ { address = "${address}"; prefixLength = ${prefixLength}; } ]; })`;

/** The failed evaluation's message, for a configuration that must not evaluate. */
function refusal(...modules: string[]): string {
  const r = evalExpr(
    "appliance.nix",
    "eval.summary.toplevel",
    `{ extraModules = [ ${modules.join(" ")} ]; }`,
  );
  assert.notEqual(r.status, 0, `the configuration evaluated: ${r.stdout}`);
  // Nix wraps long messages; compare the words.
  return r.stderr.replace(/\s+/g, " ");
}

/** landscaper serve --check-config on the rendered text (the build-time check) accepts it
 * in server mode. What dhcp.server holds is parseServerConfig's to say (checked apart). */
function checkConfig(text: string, name: string): void {
  const check = checkConfigText(text, name);
  assert.equal(check.status, 0, `landscaper serve --check-config refused it:\n${check.stderr}`);
  const effective = JSON.parse(check.stdout) as { dhcp: { mode: string } };
  assert.equal(effective.dhcp.mode, "server");
}

test("nixos/ipv4.nix: the network of an address and prefix length, null for what is no IPv4 address", () => {
  const cases: [string, number, string | null][] = [
    ["10.77.0.2", 24, "10.77.0.0/24"],
    ["10.77.200.9", 16, "10.77.0.0/16"],
    ["192.168.10.6", 30, "192.168.10.4/30"],
    ["192.168.10.7", 32, "192.168.10.7/32"],
    ["172.31.255.254", 12, "172.16.0.0/12"],
    ["255.255.255.255", 1, "128.0.0.0/1"],
    ["10.1.2.3", 0, "0.0.0.0/0"],
    ["10.0.0.256", 24, null],
    ["10.0.0.01", 24, null],
    ["10.0.0.0/24", 24, null],
    ["fe80::1", 64, null],
    ["10.0.0.1", 33, null],
  ];
  const ipv4 = join(root, "nixos/ipv4.nix");
  const got = nixEval(
    `let i = import ${ipv4}; in [ ${cases.map(([a, p]) => `(i.networkOf "${a}" ${p})`).join(" ")} ]`,
  );
  assert.deepEqual(
    got,
    cases.map((c) => c[2]),
  );
});

test('dhcp.mode = "server": the subnet is the network of the interface\'s static address, and Landscaper accepts the file', () => {
  // The template's host: enp1s0 has 192.168.10.2/24.
  const s = served(serverMode);
  assert.equal(s.config.address, "192.168.10.2");
  assert.equal(s.config.dhcp.mode, "server");
  assert.deepEqual(s.config.dhcp.server, { subnet: "192.168.10.0/24" });
  // The authority on dhcp.server (src/dhcpd/config.ts), given the appliance's address:
  // the subnet holds it; no range means reserved machines only.
  const parsed = parseServerConfig(s.config.dhcp.server, "dhcp.server", s.config.address);
  assert.equal(parsed.local.cidr, "192.168.10.0/24");
  assert.equal(parsed.local.range, null);
  checkConfig(s.configText, "server-derived");

  for (const [address, prefix, subnet] of [
    ["10.77.0.2", 24, "10.77.0.0/24"],
    ["10.77.200.9", 16, "10.77.0.0/16"],
    ["10.77.0.6", 30, "10.77.0.4/30"],
  ] as const) {
    const other = served(serverMode, lanAddress(address, prefix));
    assert.equal(other.config.address, address);
    assert.deepEqual(other.config.dhcp.server, { subnet }, `${address}/${prefix}`);
    parseServerConfig(other.config.dhcp.server, "dhcp.server", address);
  }
});

test("server mode: the other dhcp.server keys stay as given, an explicit subnet wins over the interface's", () => {
  const pool = {
    range: "192.168.10.100-192.168.10.199",
    router: "192.168.10.1",
    dns: ["192.168.10.1"],
    domain: "lan",
    leaseSeconds: 7200,
  };
  const poolNix = `{ range = "${pool.range}"; router = "${pool.router}"; dns = [ "${pool.dns[0]}" ]; domain = "${pool.domain}"; leaseSeconds = ${pool.leaseSeconds}; }`;
  const derived = served(
    `{ services.landscaper.settings.dhcp = { mode = "server"; server = ${poolNix}; }; }`,
  );
  assert.deepEqual(derived.config.dhcp.server, { ...pool, subnet: "192.168.10.0/24" });
  checkConfig(derived.configText, "server-pool");

  const explicit = served(
    `{ services.landscaper.settings.dhcp = { mode = "server"; server = ${poolNix} // { subnet = "192.168.0.0/16"; }; }; }`,
  );
  assert.deepEqual(explicit.config.dhcp.server, { ...pool, subnet: "192.168.0.0/16" });
  parseServerConfig(explicit.config.dhcp.server, "dhcp.server", explicit.config.address);

  // With a subnet given, no static address is needed.
  const noAddress = served(
    `{ services.landscaper.settings = { address = "10.9.0.1"; dhcp = { mode = "server"; server.subnet = "10.9.0.0/24"; }; }; }`,
    `({ lib, ... }: { networking.interfaces.enp1s0.ipv4.addresses = lib.mkForce [ ]; })`,
  );
  assert.deepEqual(noAddress.config.dhcp.server, { subnet: "10.9.0.0/24" });
});

test("server mode without a subnet and no static address to take it from stops the evaluation, saying what to set", () => {
  const wanted =
    /dhcp\.mode = "server" needs the subnet to hand out addresses in, .* networking\.interfaces\.<name>\.ipv4\.addresses .* services\.landscaper\.settings\.dhcp\.server\.subnet/;
  // No static address on the interface.
  assert.match(
    refusal(
      serverMode,
      `({ lib, ... }: { networking.interfaces.enp1s0.ipv4.addresses = lib.mkForce [ ]; })`,
    ),
    wanted,
  );
  // A static address, but `address` is another one: its network is unknown.
  assert.match(
    refusal(`{ services.landscaper.settings = { address = "10.9.0.1"; dhcp.mode = "server"; }; }`),
    wanted,
  );
  // No interface at all (and so no firewall either).
  const noInterface = refusal(
    serverMode,
    `({ lib, ... }: { services.landscaper.interface = lib.mkForce null; services.landscaper.openFirewall = lib.mkForce false; })`,
  );
  assert.match(noInterface, wanted);
  assert.match(noInterface, /services\.landscaper\.interface \(not set\)/);
});

test("server mode refuses an interface that asks another DHCP server for its own address", () => {
  assert.match(
    refusal(serverMode, `{ networking.interfaces.enp1s0.useDHCP = true; }`),
    /makes this host the DHCP server of enp1s0, but networking\.interfaces\.enp1s0\.useDHCP = true/,
  );
  // useDHCP = false (or left null beside a static address) is what server mode wants.
  assert.equal(
    served(serverMode, `{ networking.interfaces.enp1s0.useDHCP = false; }`).config.dhcp.mode,
    "server",
  );
});

test("server mode opens UDP 68 for the other-server check and puts ping on the unit's PATH; proxy mode does neither", () => {
  const server = served(serverMode);
  assert.deepEqual(server.udp, [67, 68, 69, 4011, 5353]);
  assert.deepEqual(server.tcp, [80]);
  assert.deepEqual(server.path, ["ipmitool-0-stand-in", "iputils-0-stand-in"]);

  const proxy = served();
  assert.deepEqual(proxy.udp, [67, 69, 4011, 5353]);
  assert.deepEqual(proxy.path, ["ipmitool-0-stand-in"]);
  // Proxy mode renders as before: no server object, even with an interface address.
  assert.equal(proxy.config.dhcp.mode, "proxy");
  assert.equal(proxy.config.dhcp.server, null);
  const explicitProxy = served(`{ services.landscaper.settings.dhcp.mode = "proxy"; }`);
  assert.equal(explicitProxy.configText, proxy.configText);
});

test("the template's appliance/dhcp-server.nix (siteDhcp = false) makes the appliance the LAN's DHCP server with a pool", () => {
  const s = served(join(root, "nixos/template/appliance/dhcp-server.nix"));
  assert.equal(s.config.dhcp.mode, "server");
  assert.deepEqual(s.config.dhcp.server, {
    subnet: "192.168.10.0/24",
    range: "192.168.10.100-192.168.10.199",
  });
  const parsed = parseServerConfig(s.config.dhcp.server, "dhcp.server", s.config.address);
  assert.equal(parsed.local.range!.last - parsed.local.range!.first + 1, 100);
  checkConfig(s.configText, "template-server");
  assert.deepEqual(s.udp, [67, 68, 69, 4011, 5353]);
});
