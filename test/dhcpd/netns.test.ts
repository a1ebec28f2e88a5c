/**
 * DHCP server mode with real clients, in namespaces this test creates on a bridge, with
 * Landscaper the only DHCP server: dhcpcd (whose ARP probe finds a squatter and DECLINEs),
 * ISC dhclient, busybox udhcpc, a reserved MAC, a client behind ISC dhcrelay; renewals at
 * T1, releases; a pool address that answers ping; then kill -9 under load and a restart
 * that must restore every acknowledged lease; and an EDK2 PXE DISCOVER answered with an
 * address and the proxy's boot options.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildProcess } from "node:child_process";
import { Lan, JsonLines } from "../support/netns.js";
import {
  dhclientCommand,
  dhclientFiles,
  udhcpcCommand,
  writeClientHooks,
} from "../support/dhcp-peers.js";
import { parsePacket } from "../../src/dhcp/codec/packet.js";
import * as o from "../../src/dhcp/codec/options.js";
import { EDK2_DISCOVER } from "../dhcp/fixtures.js";
import { rewrite } from "../dhcp/rewrite.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const node = process.execPath;
const LS = "10.77.0.2";
const RELAY = "10.77.0.3";
const FAR_GW = "10.78.0.1";
const M = {
  dhcpcd: "02:77:00:00:00:01",
  dhclient: "02:77:00:00:00:02",
  udhcpc: "02:77:00:00:00:03",
  reserved: "02:77:00:00:00:04",
  far: "02:77:00:00:00:05",
  edk2: "02:77:00:00:00:07",
};
const SERVER = {
  subnet: "10.77.0.0/24",
  range: "10.77.0.100-10.77.0.150",
  router: "10.77.0.1",
  dns: ["10.77.0.1"],
  domain: "lab.test",
  leaseSeconds: 20,
  pingMs: 300,
  declineSeconds: 300,
  relayed: [{ subnet: "10.78.0.0/24", range: "10.78.0.50-10.78.0.59", router: FAR_GW }],
};

interface Ev {
  type: string;
  mac: string;
  ip: string | null;
  expiresAt: number | null;
}

test("DHCP server mode with dhcpcd, dhclient, udhcpc, dhcrelay, ping and kill -9", async (t) => {
  const prefix = `lst-dhcpd-${process.pid}`;
  const lan = new Lan(prefix);
  const tmp = mkdtempSync(join(tmpdir(), "lst-dhcpd-"));
  t.after(async () => {
    await lan.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });
  lan.add("ls", "02:77:00:00:00:f2", `${LS}/24`);
  lan.add("sqp", "02:77:00:00:00:a0", "10.77.0.100/24"); // answers ping
  lan.add("sqa", "02:77:00:00:00:a1", "10.77.0.101/24"); // answers ARP only
  lan.exec("sqa", ["sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"]);
  for (const name of ["dhcpcd", "dhclient", "udhcpc", "reserved", "gen"] as const)
    lan.add(name, name === "gen" ? "02:77:00:00:00:99" : M[name], null);
  // Relay: eth0 on the LAN, eth1 to a far segment with one client.
  lan.add("relay", "02:77:00:00:00:f3", `${RELAY}/24`);
  lan.addBehind("relay", "far", M.far, `${FAR_GW}/24`);
  lan.exec("ls", ["ip", "route", "add", "10.78.0.0/24", "via", RELAY]);
  lan.exec("gen", ["ip", "route", "add", "default", "dev", "eth0"]);

  const journal = join(tmp, "leases.jsonl");
  const startServer = () => {
    const c = lan.spawn("ls", [
      node,
      join(root, "dist/scripts/dhcp/server-node.js"),
      JSON.stringify({
        address: LS,
        server: SERVER,
        journal,
        reservations: { [M.reserved]: "10.77.0.20" },
        machines: { [M.edk2]: "install" },
        events: true,
      }),
    ]);
    let err = "";
    c.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    return { c, out: new JsonLines(c), err: () => err };
  };
  let server = startServer();
  await server.out.waitFor((l) => l.ready, 10_000);
  const event = (pick: (e: Ev) => boolean, ms: number) =>
    server.out.waitFor((l) => {
      const e = l.event as Ev | undefined;
      return e && pick(e) ? e : undefined;
    }, ms);

  const hooks = writeClientHooks(tmp);
  const udhcpc = () => udhcpcCommand(hooks.udhcpc);
  const clientLog = new Map<string, string>();
  const spawnIn = (ns: string, cmd: string[]): ChildProcess => {
    const c = lan.spawn(ns, cmd);
    const keep = (d: Buffer) =>
      clientLog.set(ns, ((clientLog.get(ns) ?? "") + d.toString()).slice(-1500));
    c.stderr!.on("data", keep);
    c.stdout!.on("data", keep);
    return c;
  };
  const logs = () => [...clientLog].map(([n, l]) => `--- ${n}:\n${l}`).join("\n");

  let dhcpcd: ChildProcess | null = null;
  const first = new Map<string, string>();
  await t.test(
    "dhcpcd: a pool address answering ping is skipped, an ARP conflict DECLINEd",
    async () => {
      dhcpcd = spawnIn("dhcpcd", [
        "dhcpcd",
        "-B",
        "-4",
        "-f",
        "/dev/null",
        "-c",
        "/bin/true",
        "-L",
        "-t",
        "60",
        "eth0",
      ]);
      const inUse = await event((e) => e.type === "in use", 15_000);
      assert.equal(inUse.ip, "10.77.0.100", "the pinging squatter's address was found in use");
      const declined = await event((e) => e.type === "declined", 20_000);
      assert.deepEqual(declined, {
        type: "declined",
        mac: M.dhcpcd,
        ip: "10.77.0.101",
        expiresAt: null,
      });
      // dhcpcd probes after the ACK (RFC 5227): .101 was acknowledged, then declined.
      const ack = await event(
        (e) => e.type === "ack" && e.mac === M.dhcpcd && e.ip !== "10.77.0.101",
        40_000,
      );
      assert.notEqual(ack.ip, "10.77.0.100");
      first.set("dhcpcd", ack.ip!);
      const offered = server.out.lines.filter((l) => (l.event as Ev | undefined)?.type === "offer");
      assert.ok(
        !offered.some((l) => (l.event as Ev).ip === "10.77.0.100"),
        "the address answering ping was never offered",
      );
    },
  );

  const clients = new Map<string, ChildProcess>();
  await t.test("dhclient, udhcpc, a reserved MAC and a relayed client get addresses", async () => {
    clients.set("dhclient", spawnIn("dhclient", dhclientCommand(tmp, hooks.dhclient)));
    clients.set("udhcpc", spawnIn("udhcpc", udhcpc()));
    clients.set("reserved", spawnIn("reserved", udhcpc()));
    lan.spawn("relay", ["dhcrelay", "-4", "-d", "-id", "eth1", "-iu", "eth0", LS]);
    clients.set("far", spawnIn("far", udhcpc()));
    for (const name of ["dhclient", "udhcpc", "reserved", "far"] as const) {
      const ack = await event((e) => e.type === "ack" && e.mac === M[name], 30_000);
      first.set(name, ack.ip!);
    }
    assert.equal(first.get("reserved"), "10.77.0.20", "the reserved MAC got its address");
    assert.match(
      first.get("far")!,
      /^10\.78\.0\.5\d$/,
      "the relayed client got the relay's subnet",
    );
    assert.match(first.get("dhclient")!, /^10\.77\.0\.1[0-4]\d$/);
    assert.match(first.get("udhcpc")!, /^10\.77\.0\.1[0-4]\d$/);
    const all = [...first.values()];
    assert.equal(new Set(all).size, all.length, `distinct addresses: ${all.join(" ")}`);
    assert.equal(
      lan.exec("reserved", ["ip", "-4", "-o", "addr", "show", "eth0"]).includes("10.77.0.20/24"),
      true,
    );
  });

  await t.test("every client renews at T1 (10 s) and keeps its address", async () => {
    for (const name of ["dhcpcd", "dhclient", "udhcpc", "reserved", "far"] as const) {
      const acks = () =>
        server.out.lines.filter((l) => {
          const e = l.event as Ev | undefined;
          return e?.type === "ack" && e.mac === M[name];
        });
      const ip = first.get(name);
      const mine = () => acks().filter((l) => (l.event as Ev).ip === ip);
      for (let i = 0; i < 250 && mine().length < 2; i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.ok(mine().length >= 2, `${name} renewed ${ip} (${mine().length} ACKs): ${logs()}`);
    }
  });

  await t.test("dhclient, udhcpc and dhcpcd release their leases", async () => {
    lan.exec("dhclient", ["dhclient", "-r", ...dhclientFiles(tmp, hooks.dhclient), "eth0"]);
    clients.get("udhcpc")!.kill("SIGUSR2");
    dhcpcd!.kill("SIGALRM");
    const names = ["dhclient", "udhcpc", "dhcpcd"] as const;
    const released = await Promise.allSettled(
      names.map((name) =>
        event((e) => e.type === "released" && e.mac === M[name], 10_000).then((e) =>
          assert.equal(e.ip, first.get(name), `${name} released its address`),
        ),
      ),
    );
    const missing = names.filter((_, i) => released[i]!.status !== "fulfilled");
    assert.deepEqual(missing, [], `no RELEASE from ${missing.join(", ")}: ${logs()}`);
  });

  await t.test("kill -9 under load, restart: every acknowledged lease is back", async () => {
    const gen = lan.spawn("gen", [
      node,
      join(root, "dist/scripts/bench/dhcp-dora.js"),
      JSON.stringify({
        depth: 16,
        seconds: 3,
        macBase: "02:77:10:00:00:00",
        macCount: 40,
        printAcks: true,
      }),
    ]);
    const genOut = new JsonLines(gen);
    // Kill once the load is well under way (the generator's start-up time varies).
    for (let i = 0; i < 150; i++) {
      const acked = server.out.lines.filter((l) => {
        const e = l.event as Ev | undefined;
        return e?.type === "ack" && e.mac.startsWith("02:77:10:");
      });
      if (acked.length >= 30) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    server.c.kill("SIGKILL");
    const result = await genOut.waitFor((l) => (l.acks ? l : undefined), 10_000);
    const acked = result.acks as Array<[string, string]>;
    assert.ok(acked.length >= 30, `load was acknowledged before the kill (${acked.length})`);
    server = startServer();
    const ready = await server.out.waitFor(
      (l) => l.ready as { leases: Array<[string, string]> } | undefined,
      10_000,
    );
    const restored = new Map(ready.leases);
    for (const [mac, ip] of acked)
      assert.equal(restored.get(mac), ip, `lease of ${mac} survived kill -9`);
    assert.equal(restored.get(M.reserved), "10.77.0.20");
    assert.equal(restored.get(M.far), first.get("far"));
    // The quarantine survives too: the declined address is not offered after the restart.
    assert.ok(![...restored.values()].includes("10.77.0.101"));
  });

  await t.test("EDK2 PXE DISCOVER: an address plus the proxy's boot options", () => {
    const xid = 0x77000007;
    const raw = lan.exec("gen", [
      node,
      join(root, "dist/scripts/dhcp/udp-probe.js"),
      JSON.stringify({
        bind: { address: "0.0.0.0", port: 68 },
        sends: [
          {
            to: "255.255.255.255",
            port: 67,
            hex: rewrite(EDK2_DISCOVER(), { mac: M.edk2, xid }).toString("hex"),
          },
        ],
        waitMs: 4000,
      }),
    ]);
    const replies = (JSON.parse(raw) as { replies: Array<{ from: string; hex: string }> }).replies;
    const offer = replies
      .map((r) => parsePacket(Buffer.from(r.hex, "hex")))
      .flatMap((p) => (p.ok && p.packet.xid === xid ? [p.packet] : []));
    assert.equal(offer.length, 1, `one OFFER (${replies.length} replies)`);
    const p = offer[0]!;
    assert.equal(o.messageType(p), o.MSG.OFFER);
    assert.match(p.yiaddr, /^10\.77\.0\.1[0-4]\d$/);
    assert.equal(o.vendorClass(p), "PXEClient");
    assert.equal(p.siaddr, LS);
    assert.equal(o.serverId(p), LS);
    assert.equal(o.bootfileName(p), null, "EDK2 gets its file on 4011, as from the proxy");
    assert.equal(p.options.get(51)?.readUInt32BE(0), 20, "lease time");
  });

  await t.test("start-up probe: another DHCP server is named, the appliance itself is not", () => {
    const probe = (ns: string, address: string) =>
      JSON.parse(
        lan.exec(ns, [
          node,
          join(root, "dist/scripts/dhcp/guard-node.js"),
          JSON.stringify({ address, seconds: 2 }),
        ]),
      ) as { others: Array<{ from: string; serverId: string | null }> };
    // From another host of the LAN, Landscaper is the other server.
    const seen = probe("sqp", "10.77.0.100");
    assert.deepEqual(
      seen.others.map((x) => [x.from, x.serverId]),
      [[LS, LS]],
    );
    // From the appliance's own address, its own answers do not count.
    assert.deepEqual(probe("ls", LS).others, []);
  });

  server.c.kill("SIGTERM");
});
