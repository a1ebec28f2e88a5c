/** The server on loopback (unprivileged ports): the unicast port-4011 path, bad input, events. */
import { test } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { once } from "node:events";
import { startDhcpServer } from "../../src/dhcp/server/server.js";
import type { LeaseOptions } from "../../src/dhcp/server/lease-runner.js";
import { createMetrics } from "../../src/core/metrics.js";
import { createLogger } from "../../src/core/log.js";
import type { Mac } from "../../src/core/mac.js";
import type { BootOracle, BootStep } from "../../src/boot/plan.js";
import { BootUrls } from "../../src/boot/urls.js";
import { serverContext } from "../support/context.js";
import { parsePacket } from "../../src/dhcp/codec/packet.js";
import * as o from "../../src/dhcp/codec/options.js";
import {
  armedOracle,
  EDK2_PROXY_REQUEST,
  IPXE_EFI_DISCOVER,
  loopbackDhcpConfig,
} from "./fixtures.js";
import { rewrite } from "./rewrite.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseServerConfig } from "../../src/dhcpd/config.js";
import type { Sighting } from "../../src/registry/doors.js";
import { clientMessage } from "../../scripts/dhcp/client-packets.js";
import { formatIp4 } from "../../src/core/ipv4.js";
import { readJournal } from "../../src/dhcpd/journal.js";

const ARMED = "02:22:00:00:00:01" as Mac;

async function start(arm64: string | null = null) {
  const steps: Array<[Mac, BootStep]> = [];
  const config = loopbackDhcpConfig();
  config.http.port = 8080;
  config.ipxe.arm64 = arm64;
  const urls = new BootUrls(config.address, 8080);
  const oracle = armedOracle(urls, [ARMED], (mac, step) => steps.push([mac, step]));
  const metrics = createMetrics();
  const svc = await startDhcpServer(
    serverContext(config, { oracle, urls, metrics, log: createLogger("test", "warn") }),
  );
  const client = dgram.createSocket("udp4");
  client.bind(0, "127.0.0.1");
  await once(client, "listening");
  const packets = async () => {
    const out: Record<string, number> = {};
    for (const v of (await metrics.dhcpPackets.get()).values)
      out[`${v.labels.outcome}/${v.labels.client}`] = v.value;
    return out;
  };
  return { svc, client, steps, packets };
}

/** Server mode on loopback: a small pool, no reservations, no ping, the journal in `dir`. */
function loopbackLease(dir: string, server: Record<string, unknown> = {}): LeaseOptions {
  return {
    config: parseServerConfig({
      subnet: "127.0.0.0/8",
      range: "127.0.5.1-127.0.5.9",
      pingMs: 0,
      ...server,
    }),
    reservations: { reservedFor: () => null, reservedBy: () => null },
    journalPath: join(dir, "leases.jsonl"),
    pinger: null,
  };
}

function nextReply(s: dgram.Socket, ms = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no reply")), ms);
    s.once("message", (m) => {
      clearTimeout(t);
      resolve(m);
    });
  });
}

test("a port-4011 REQUEST is answered to its sender; the answer is an event", async (t) => {
  const { svc, client, steps, packets } = await start();
  t.after(async () => {
    client.close();
    await svc.close();
  });
  const req = rewrite(EDK2_PROXY_REQUEST(), { mac: ARMED, xid: 7, ciaddr: "127.0.0.1" });
  const reply = nextReply(client);
  // ciaddr is where the ACK goes; the port is the one it came from.
  client.send(req, svc.ports.proxy, "127.0.0.1");
  const r = parsePacket(await reply);
  assert.ok(r.ok);
  assert.equal(r.packet.file, "snponly.efi");
  assert.equal(o.messageType(r.packet), o.MSG.ACK);
  assert.deepEqual(steps, [
    [
      ARMED,
      { type: "dhcp", clientKind: "pxe", arch: 7, file: "snponly.efi", port: svc.ports.proxy },
    ],
  ]);
  assert.equal((await packets())["answered/pxe"], 1);
});

test("an arm64 EFI client is answered with ipxe.arm64 when set, and not at all otherwise", async (t) => {
  // The EDK2 capture as an arm64 machine: option 93 and the Arch in option 60 say 11.
  const asArm64 = rewrite(EDK2_PROXY_REQUEST(), {
    mac: ARMED,
    xid: 11,
    ciaddr: "127.0.0.1",
    set: {
      60: Buffer.from("PXEClient:Arch:00011:UNDI:003016"),
      93: Buffer.from([0, 11]),
    },
  });
  for (const arm64 of ["snponly-arm64.efi", null]) {
    const { svc, client } = await start(arm64);
    t.after(async () => {
      client.close();
      await svc.close();
    });
    const reply = nextReply(client, 800).catch(() => null);
    client.send(asArm64, svc.ports.proxy, "127.0.0.1");
    const got = await reply;
    if (arm64 === null) {
      assert.equal(got, null, "no arm64 file: silence");
    } else {
      const r = parsePacket(got!);
      assert.ok(r.ok);
      assert.equal(r.packet.file, "snponly-arm64.efi");
    }
  }
});

test("a flood of malformed and foreign packets is counted, and a valid request still answered", async (t) => {
  const { svc, client, packets } = await start();
  t.after(async () => {
    client.close();
    await svc.close();
  });
  const garbage = [
    Buffer.alloc(0),
    Buffer.alloc(100, 0xff),
    Buffer.concat([
      rewrite(IPXE_EFI_DISCOVER(), { mac: ARMED, xid: 1 }).subarray(0, 250),
      Buffer.from([60, 200]),
    ]),
  ];
  const N = 3000;
  for (let i = 0; i < N; i++)
    client.send(garbage[i % garbage.length]!, svc.ports.proxy, "127.0.0.1");
  // An unregistered MAC and a DISCOVER on 4011: ignored, not answered.
  client.send(
    rewrite(EDK2_PROXY_REQUEST(), { mac: "02:22:00:00:00:99", xid: 2, ciaddr: "127.0.0.1" }),
    svc.ports.proxy,
    "127.0.0.1",
  );
  client.send(rewrite(IPXE_EFI_DISCOVER(), { mac: ARMED, xid: 3 }), svc.ports.proxy, "127.0.0.1");
  const reply = nextReply(client);
  const t0 = Date.now();
  client.send(
    rewrite(EDK2_PROXY_REQUEST(), { mac: ARMED, xid: 4, ciaddr: "127.0.0.1" }),
    svc.ports.proxy,
    "127.0.0.1",
  );
  const r = parsePacket(await reply);
  assert.ok(r.ok && r.packet.xid === 4, "the only answer is to the valid request");
  assert.ok(Date.now() - t0 < 2000);
  const p = await packets();
  assert.equal(p["malformed/unknown"], N);
  assert.equal(p["ignored/pxe"], 1);
  assert.equal(p["ignored/ipxe"], 1);
  assert.equal(p["answered/pxe"], 1);
});

test("a port in use is a clear startup error, nothing left bound", async () => {
  const blocker = dgram.createSocket("udp4");
  blocker.bind(0, "127.0.0.1");
  await once(blocker, "listening");
  const config = loopbackDhcpConfig();
  config.dhcp.proxyPort = blocker.address().port;
  try {
    await assert.rejects(startDhcpServer(serverContext(config)), /EADDRINUSE/);
  } finally {
    blocker.close();
  }
});

test("an address not on this host is named in the startup error", async () => {
  const config = loopbackDhcpConfig();
  config.address = "192.0.2.77";
  await assert.rejects(
    startDhcpServer(serverContext(config)),
    /192\.0\.2\.77.*EADDRNOTAVAIL.*configured on an interface/,
  );
});

test("both modes report an unregistered network-boot client to the sighting sink", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "lst-sight-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const UNREGISTERED = "02:22:00:00:00:77" as Mac;
  for (const mode of ["proxy", "server"] as const) {
    const seen: Sighting[] = [];
    const config = loopbackDhcpConfig();
    const urls = new BootUrls(config.address, 8080);
    const oracle = armedOracle(urls, [ARMED]);
    const lease = loopbackLease(dir);
    const svc = await startDhcpServer(
      serverContext(config, { oracle, urls, log: createLogger("test", "silent") }),
      { sightings: { sighted: (s) => seen.push(s) }, ...(mode === "server" ? { lease } : {}) },
    );
    const client = dgram.createSocket("udp4");
    try {
      client.bind(0, "127.0.0.1");
      await once(client, "listening");
      const discover = (mac: Mac, xid: number) => rewrite(IPXE_EFI_DISCOVER(), { mac, xid });
      client.send(discover(ARMED, 1), svc.ports.dhcp, "127.0.0.1");
      client.send(discover(UNREGISTERED, 2), svc.ports.dhcp, "127.0.0.1");
      for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100)); // nothing else arrives
      const sent = parsePacket(IPXE_EFI_DISCOVER());
      assert.ok(sent.ok);
      assert.deepEqual(
        seen,
        [{ mac: UNREGISTERED, kind: "ipxe", arch: 7, vendorClass: o.vendorClass(sent.packet) }],
        `${mode} mode: the unregistered MAC only`,
      );
    } finally {
      client.close();
      await svc.close();
    }
  }
});

test("server mode: an ACK whose journal write ends after close() is dropped, not thrown", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "lst-dhcp-close-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = loopbackDhcpConfig();
  const urls = new BootUrls(config.address, 8080);
  const armed = armedOracle(urls, []);
  // The registry is asked while the packet is handled, before its lease is written: closing
  // there leaves the ACK waiting for its write (the next check phase) with the socket gone.
  let closeOnAsk = false;
  const closing: { done: Promise<void> | null } = { done: null };
  const oracle: BootOracle = {
    bootFor(mac) {
      if (closeOnAsk) closing.done ??= svc.close();
      return armed.bootFor(mac);
    },
    noteBootStep: () => undefined,
  };
  const svc = await startDhcpServer(
    serverContext(config, { oracle, urls, log: createLogger("test", "silent") }),
    { lease: loopbackLease(dir, { fsync: false }) },
  );
  const client = dgram.createSocket("udp4");
  t.after(() => client.close());
  client.bind(0, "127.0.0.1");
  await once(client, "listening");
  const mac = "02:22:00:00:00:09";
  const pxe = [[o.OPT.vendorClass, Buffer.from("PXEClient:Arch:00007:UNDI:003016")]] as const;
  client.send(
    clientMessage({ type: o.MSG.DISCOVER, mac, xid: 1, extra: pxe }),
    svc.ports.dhcp,
    "127.0.0.1",
  );
  for (let i = 0; i < 100 && [...svc.leases!.engine.held()].length === 0; i++)
    await new Promise((r) => setTimeout(r, 10));
  const offered = [...svc.leases!.engine.held()][0];
  assert.ok(offered, "offered");
  closeOnAsk = true;
  const request = { type: o.MSG.REQUEST, mac, xid: 2, extra: pxe, serverId: config.address };
  client.send(
    clientMessage({ ...request, requested: formatIp4(offered.ip) }),
    svc.ports.dhcp,
    "127.0.0.1",
  );
  for (let i = 0; i < 100 && closing.done === null; i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.ok(closing.done, "the REQUEST reached the registry");
  await closing.done;
  assert.equal(svc.leases!.counts().ack, undefined, "no ACK was sent");
  assert.deepEqual(
    (await readJournal(join(dir, "leases.jsonl"))).records.map((r) => r.state),
    ["bound"],
    "the lease was written all the same",
  );
});

test("server mode: mutated requests, hostile client ids and a MAC storm never fail; leases hold", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "lst-dhcp-hostile-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = loopbackDhcpConfig();
  const metrics = createMetrics();
  const svc = await startDhcpServer(
    serverContext(config, { metrics, log: createLogger("test", "silent") }),
    { lease: loopbackLease(dir, { fsync: false }) },
  );
  const client = dgram.createSocket("udp4");
  t.after(async () => {
    client.close();
    await svc.close();
  });
  client.bind(0, "127.0.0.1");
  await once(client, "listening");
  const send = (b: Buffer) => client.send(b, svc.ports.dhcp, "127.0.0.1");
  const settle = async (done: () => boolean) => {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  };
  const acks = () => svc.leases!.counts().ack ?? 0;
  const dora = async (mac: string, clientId?: string) => {
    const before = acks();
    send(clientMessage({ type: o.MSG.DISCOVER, mac, xid: 1, ...(clientId ? { clientId } : {}) }));
    await settle(() => [...svc.leases!.engine.held()].some((l) => l.mac === mac));
    const l = [...svc.leases!.engine.held()].find((x) => x.mac === mac);
    assert.ok(l, `${mac} offered`);
    send(
      clientMessage({
        type: o.MSG.REQUEST,
        mac,
        xid: 2,
        serverId: config.address,
        requested: formatIp4(l.ip),
        ...(clientId ? { clientId } : {}),
      }),
    );
    await settle(() => acks() > before);
    return l.ip;
  };
  // Two holders before the flood: one by MAC, one by a 255-byte client identifier.
  const longId = "01" + "ab".repeat(254);
  const ipA = await dora("02:33:00:00:00:01");
  const ipB = await dora("02:33:00:00:00:02", longId);

  // A seeded generator: the same flood on every run.
  let seed = 0x1234567;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const valid = clientMessage({ type: o.MSG.DISCOVER, mac: "02:33:00:00:00:03", xid: 3 });
  const N = 3000;
  for (let i = 0; i < N; i++) {
    const kind = i % 4;
    const mac = `02:44:${[0, 0, 0, 0].map(() => rnd(256).toString(16).padStart(2, "0")).join(":")}`;
    if (kind === 0) {
      // A byte-flipped request, cut at a random length.
      const b = Buffer.from(valid);
      for (let k = 0; k < 8; k++) b[rnd(b.length)] = rnd(256);
      send(b.subarray(0, 1 + rnd(b.length)));
    } else if (kind === 1) {
      // A storm of new MACs: more than the pool's nine addresses.
      send(clientMessage({ type: o.MSG.DISCOVER, mac, xid: i }));
    } else if (kind === 2) {
      // Hostile identifiers: one byte (too short to count) and the longest an option holds.
      // (Whoever sends a holder's own identifier is that client: DHCP has no proof of it.)
      const id = ["01", "ff".repeat(255)][rnd(2)]!;
      const type = [o.MSG.DISCOVER, o.MSG.REQUEST, o.MSG.RELEASE, o.MSG.DECLINE][rnd(4)]!;
      send(clientMessage({ type, mac, xid: i, clientId: id, requested: formatIp4(ipB) }));
    } else {
      // Spoofed give-backs and renewals of the two held addresses from other MACs.
      const type = [o.MSG.RELEASE, o.MSG.DECLINE, o.MSG.REQUEST][rnd(3)]!;
      const ip = formatIp4(rnd(2) ? ipA : ipB);
      send(clientMessage({ type, mac, xid: i, requested: ip, ciaddr: ip }));
    }
    if (i % 200 === 0) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 300));
  const failures = (await metrics.internalErrors.get()).values.find(
    (v) => v.labels.service === "dhcp",
  );
  assert.equal(failures?.value, 0, "no packet ended in an exception");
  const counts = svc.leases!.counts();
  assert.ok((counts.malformed ?? 0) > 0, "mutated datagrams counted");
  assert.ok((counts["silent: pool exhausted"] ?? 0) > 0, "the storm emptied the pool");
  assert.ok((counts["nak: address held by another client"] ?? 0) > 0, "spoofed renewals refused");
  // Nobody but their holders moved the two leases.
  const a = svc.leases!.engine.lease(ipA);
  const b = svc.leases!.engine.lease(ipB);
  assert.equal(a?.state, "bound");
  assert.equal(a?.client, "02:33:00:00:00:01");
  assert.equal(b?.state, "bound");
  assert.equal(b?.client, `id:${longId}`);
  // The ACKed leases are in the journal, and a restart gives them back.
  const kept = (await readJournal(join(dir, "leases.jsonl"))).records;
  assert.ok(kept.some((r) => r.ip === ipA && r.state === "bound"));
  assert.ok(kept.some((r) => r.ip === ipB && r.client === `id:${longId}`));
});
