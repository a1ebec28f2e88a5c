import { test } from "node:test";
import assert from "node:assert/strict";
import { parseServerConfig } from "../../src/dhcpd/config.js";
import { subnetFor } from "../../src/dhcpd/subnet-choice.js";
import { formatIp4, parseIp4, type Ip4 } from "../../src/core/ipv4.js";

const ip = (s: string) => parseIp4(s)!;

test("a full dhcp.server config is read into numbers, with defaults", () => {
  const c = parseServerConfig(
    {
      subnet: "10.0.0.0/24",
      range: "10.0.0.100-10.0.0.199",
      router: "10.0.0.1",
      dns: ["10.0.0.1", "9.9.9.9"],
      domain: "lab.example",
      leaseSeconds: 7200,
      relayed: [{ subnet: "10.1.0.0/16", range: "10.1.0.10 - 10.1.0.20" }],
    },
    "dhcp.server",
    "10.0.0.2",
  );
  assert.equal(c.local.range!.last - c.local.range!.first + 1, 100);
  assert.equal(formatIp4(c.local.mask), "255.255.255.0");
  assert.deepEqual(c.local.dns.map(formatIp4), ["10.0.0.1", "9.9.9.9"]);
  assert.equal(c.relayed[0]!.leaseSeconds, 7200, "relayed subnets inherit the lease time");
  assert.deepEqual(
    [c.offerSeconds, c.declineSeconds, c.pingMs, c.allowOtherServers, c.fsync],
    [30, 600, 300, false, true],
  );
  assert.equal(subnetFor(c, 0 as Ip4), c.local);
  assert.equal(subnetFor(c, ip("10.1.200.1")), c.relayed[0]);
  assert.equal(subnetFor(c, ip("192.168.1.1")), null, "a giaddr outside every subnet");
  const bare = parseServerConfig({ subnet: "10.0.0.0/24" });
  assert.equal(bare.local.range, null, "no range: reservations only");
});

const bad: Array<[string, unknown, RegExp]> = [
  ["unknown key", { subnet: "10.0.0.0/24", rnage: "x" }, /dhcp\.server: unknown key "rnage"/],
  ["no subnet", { range: "10.0.0.1-10.0.0.2" }, /dhcp\.server\.subnet: required/],
  ["subnet not CIDR", { subnet: "10.0.0.0" }, /dhcp\.server\.subnet: expected a subnet/],
  ["host bits", { subnet: "10.0.0.5/24" }, /host bits set \(the subnet is 10\.0\.0\.0\/24\)/],
  [
    "range outside",
    { subnet: "10.0.0.0/24", range: "10.0.0.100-10.0.1.5" },
    /dhcp\.server\.range: 10\.0\.1\.5 is not a host of 10\.0\.0\.0\/24/,
  ],
  [
    "range backwards",
    { subnet: "10.0.0.0/24", range: "10.0.0.9-10.0.0.3" },
    /range: .* ends before it starts/,
  ],
  [
    "router outside",
    { subnet: "10.0.0.0/24", router: "10.0.1.1" },
    /dhcp\.server\.router: 10\.0\.1\.1 is not a host/,
  ],
  [
    "router is the broadcast",
    { subnet: "10.0.0.0/24", router: "10.0.0.255" },
    /router: .* not a host/,
  ],
  [
    "dns not a list",
    { subnet: "10.0.0.0/24", dns: "1.1.1.1" },
    /dhcp\.server\.dns: expected a list/,
  ],
  ["dns entry", { subnet: "10.0.0.0/24", dns: ["1.1.1.1", "x"] }, /dhcp\.server\.dns\[1\]/],
  [
    "lease too short",
    { subnet: "10.0.0.0/24", leaseSeconds: 5 },
    /leaseSeconds: expected an integer/,
  ],
  ["domain", { subnet: "10.0.0.0/24", domain: "a b" }, /dhcp\.server\.domain/],
  [
    "relayed unknown key",
    { subnet: "10.0.0.0/24", relayed: [{ subnet: "10.1.0.0/24", pingMs: 3 }] },
    /dhcp\.server\.relayed\[0\]: unknown key "pingMs"/,
  ],
  [
    "overlap",
    { subnet: "10.0.0.0/24", relayed: [{ subnet: "10.0.0.0/16" }] },
    /subnets 10\.0\.0\.0\/24 and 10\.0\.0\.0\/16 overlap/,
  ],
  ["not an object", "10.0.0.0/24", /dhcp\.server: expected an object/],
  ["allowOtherServers", { subnet: "10.0.0.0/24", allowOtherServers: "yes" }, /allowOtherServers/],
];

for (const [name, raw, msg] of bad)
  test(`dhcp.server rejected: ${name}`, () => {
    assert.throws(() => parseServerConfig(raw), msg);
  });

test("the appliance address must be on the local subnet", () => {
  assert.throws(
    () => parseServerConfig({ subnet: "10.0.0.0/24" }, "dhcp.server", "10.9.0.2"),
    /does not hold the appliance address 10\.9\.0\.2/,
  );
});
