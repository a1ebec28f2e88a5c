// doctor's reading of server mode as pure functions: a proxyDHCP (no address) also stops
// serve; an interface whose prefix differs from dhcp.server.subnet does not hold it.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { NetworkInterfaceInfo } from "node:os";
import { defaultConfig, mergeConfig } from "../../src/config/config.js";
import { probeFindings } from "../../src/doctor/probe-findings.js";
import type { ProbeResult } from "../../src/doctor/pxe-probe.js";
import { checkServerMode } from "../../src/doctor/server-mode.js";

const SERVER = { mode: "server", server: { subnet: "10.5.0.0/24" } };
const config = (dhcp: Record<string, unknown>) =>
  mergeConfig(defaultConfig(), { address: "10.5.0.2", dhcp }, "test");

const ifc = (address: string, netmask: string, prefix: number): NetworkInterfaceInfo => ({
  address,
  netmask,
  family: "IPv4",
  mac: "02:00:00:00:00:01",
  internal: false,
  cidr: `${address}/${prefix}`,
});

test("server mode: a subnet that is on no interface with its prefix is a warning naming them", () => {
  const { role, findings } = checkServerMode(config(SERVER), {
    eth0: [ifc("10.5.0.2", "255.255.0.0", 16)],
  });
  assert.deepEqual(role, { mode: "server", subnet: "10.5.0.0/24", forced: false });
  assert.deepEqual(
    findings.map((f) => [f.level, f.message]),
    [
      ["ok", "10.5.0.2 is a host of 10.5.0.0/24 (reservations only)"],
      [
        "warn",
        "10.5.0.0/24 is the network of none of this host's interfaces (eth0 10.5.0.2/16): clients would get a netmask and router for a network the appliance is not on",
      ],
    ],
  );
  assert.deepEqual(checkServerMode(config({ mode: "proxy" }), {}), {
    role: { mode: "proxy" },
    findings: [],
  });
});

test("server mode: a proxyDHCP answering is a blocker too, as serve's guard sees it", () => {
  const answer = {
    xid: 1,
    mac: "02:00:00:00:00:09",
    messageType: 2,
    serverId: "10.5.0.7",
    yiaddr: "0.0.0.0",
    siaddr: "10.5.0.7",
    vendorClass: "PXEClient",
    bootFile: "pxelinux.0",
    serverName: null,
    pxeVendorOptions: false,
    pxeMenu: [],
    from: "10.5.0.7",
    client: "bios" as const,
  };
  const result: ProbeResult = { macs: { bios: answer.mac, efi: answer.mac }, answers: [answer] };
  const role = { mode: "server" as const, subnet: "10.5.0.0/24", forced: false };
  assert.deepEqual(
    probeFindings(result, "10.5.0.2", role).map((f) => [f.check, f.level, f.message]),
    [
      [
        "other servers: 10.5.0.7",
        "blocker",
        '10.5.0.7 answers DHCP as a proxyDHCP (no address); in dhcp.mode "server" `landscaper serve` refuses to start while another DHCP server answers',
      ],
    ],
  );
  // Its own answer (a Landscaper already serving here) is not a rival.
  const own = { ...answer, serverId: "10.5.0.2", from: "10.5.0.2" };
  assert.deepEqual(
    probeFindings({ ...result, answers: [own] }, "10.5.0.2", role).map((f) => [f.check, f.level]),
    [
      ["other servers: 10.5.0.2", "warn"],
      ["DHCP server", "ok"],
    ],
  );
});
