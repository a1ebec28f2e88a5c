/**
 * The lease engine, pure: RFC 2131 exchanges as tables of (request -> verdict), time moved
 * by hand, reservations from a fixed table.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseServerConfig } from "../../src/dhcpd/config.js";
import { LeaseEngine, type Verdict } from "../../src/dhcpd/engine.js";
import { reservationTable } from "./reservations.js";
import { formatIp4, parseIp4, type Ip4 } from "../../src/core/ipv4.js";
import { MSG } from "../../src/dhcp/codec/options.js";
import { clientPacket, type ClientMessage } from "../../scripts/dhcp/client-packets.js";

const SERVER = "10.0.0.2";
const T0 = 1_800_000_000_000;

function engine(extra: Record<string, unknown> = {}, reserved: Record<string, string> = {}) {
  const config = parseServerConfig({
    subnet: "10.0.0.0/24",
    range: "10.0.0.100-10.0.0.103",
    router: "10.0.0.1",
    leaseSeconds: 600,
    pingMs: 0,
    relayed: [{ subnet: "10.5.0.0/24", range: "10.5.0.50-10.5.0.59" }],
    ...extra,
  });
  return new LeaseEngine(config, reservationTable(reserved), parseIp4(SERVER)!);
}

const A = "02:00:00:00:00:0a";
const B = "02:00:00:00:00:0b";
const C = "02:00:00:00:00:0c";

type E = ReturnType<typeof engine>;
const send = (e: E, m: ClientMessage, now = T0): Verdict => e.handle(clientPacket(m), now);
const ipOfVerdict = (v: Verdict) => ("ip" in v ? formatIp4(v.ip) : null);

/** DISCOVER then REQUEST(selecting) the offered address; returns it. */
function dora(e: E, mac: string, now = T0, extra: Partial<ClientMessage> = {}): string {
  const offer = send(e, { type: MSG.DISCOVER, mac, ...extra }, now);
  assert.equal(offer.kind, "offer", `offer for ${mac}: ${JSON.stringify(offer)}`);
  const ip = ipOfVerdict(offer)!;
  const ack = send(e, { type: MSG.REQUEST, mac, requested: ip, serverId: SERVER, ...extra }, now);
  assert.equal(ack.kind, "ack", `ack for ${mac}: ${JSON.stringify(ack)}`);
  return ip;
}

test("DORA: lowest pool address first, one per client, same one on a second DISCOVER", () => {
  const e = engine();
  assert.equal(dora(e, A), "10.0.0.100");
  assert.equal(dora(e, B), "10.0.0.101");
  assert.equal(ipOfVerdict(send(e, { type: MSG.DISCOVER, mac: A })), "10.0.0.100");
  const ack = send(e, { type: MSG.REQUEST, mac: A, requested: "10.0.0.100", serverId: SERVER });
  assert.ok(ack.kind === "ack");
  assert.deepEqual(
    { ...ack.durable, ip: formatIp4(ack.durable.ip) },
    { ip: "10.0.0.100", client: A, mac: A, state: "bound", expiresAt: T0 + 600_000 },
  );
});

const requestTable: Array<[string, ClientMessage, string]> = [
  [
    "SELECTING our offer",
    { type: MSG.REQUEST, mac: A, requested: "10.0.0.100", serverId: SERVER },
    "ack",
  ],
  [
    "SELECTING an address not offered",
    { type: MSG.REQUEST, mac: A, requested: "10.0.0.101", serverId: SERVER },
    "nak",
  ],
  [
    "SELECTING another server",
    { type: MSG.REQUEST, mac: A, requested: "10.0.0.100", serverId: "10.0.0.9" },
    "silent",
  ],
  ["INIT-REBOOT own address", { type: MSG.REQUEST, mac: A, requested: "10.0.0.100" }, "ack"],
  ["INIT-REBOOT held by another", { type: MSG.REQUEST, mac: B, requested: "10.0.0.100" }, "nak"],
  ["INIT-REBOOT wrong network", { type: MSG.REQUEST, mac: A, requested: "192.168.7.7" }, "nak"],
  [
    "INIT-REBOOT free pool address (lost lease file)",
    { type: MSG.REQUEST, mac: B, requested: "10.0.0.102" },
    "ack",
  ],
  [
    "INIT-REBOOT out of pool, not reserved",
    { type: MSG.REQUEST, mac: B, requested: "10.0.0.20" },
    "nak",
  ],
  ["RENEWING own address", { type: MSG.REQUEST, mac: A, ciaddr: "10.0.0.100" }, "ack"],
  ["RENEWING another's address", { type: MSG.REQUEST, mac: B, ciaddr: "10.0.0.100" }, "nak"],
  ["REQUEST naming nothing", { type: MSG.REQUEST, mac: A }, "silent"],
];

for (const [name, msg, want] of requestTable)
  test(`REQUEST ${name} -> ${want}`, () => {
    const e = engine();
    dora(e, A); // A holds .100
    assert.equal(send(e, msg, T0 + 1000).kind, want);
  });

test("a renewal extends the lease from now, T1/T2 come from the lease time", () => {
  const e = engine();
  dora(e, A);
  const v = send(e, { type: MSG.REQUEST, mac: A, ciaddr: "10.0.0.100" }, T0 + 300_000);
  assert.ok(v.kind === "ack");
  assert.equal(v.durable.expiresAt, T0 + 900_000);
  assert.equal(v.subnet.leaseSeconds, 600);
});

test("client identifier (option 61) names the client, not chaddr", () => {
  const e = engine();
  const ip = dora(e, A, T0, { clientId: "01aabbccddeeff" });
  // Same identifier from another NIC: the same lease.
  assert.equal(
    ipOfVerdict(send(e, { type: MSG.DISCOVER, mac: B, clientId: "01aabbccddeeff" })),
    ip,
  );
  // Same NIC, no identifier: another client.
  assert.notEqual(ipOfVerdict(send(e, { type: MSG.DISCOVER, mac: A })), ip);
});

test("an offer not taken up expires after offerSeconds; the address is free again", () => {
  const e = engine({ range: "10.0.0.100-10.0.0.100", offerSeconds: 10 });
  assert.equal(ipOfVerdict(send(e, { type: MSG.DISCOVER, mac: A })), "10.0.0.100");
  assert.deepEqual(send(e, { type: MSG.DISCOVER, mac: B }, T0 + 5_000), {
    kind: "silent",
    reason: "pool exhausted",
  });
  assert.equal(ipOfVerdict(send(e, { type: MSG.DISCOVER, mac: B }, T0 + 11_000)), "10.0.0.100");
});

test("a client choosing another server frees our offer at once", () => {
  const e = engine({ range: "10.0.0.100-10.0.0.100" });
  send(e, { type: MSG.DISCOVER, mac: A });
  send(e, { type: MSG.REQUEST, mac: A, requested: "10.0.0.100", serverId: "10.0.0.9" });
  assert.equal(ipOfVerdict(send(e, { type: MSG.DISCOVER, mac: B })), "10.0.0.100");
});

test("an expired lease returns to the pool, but its holder gets it back first", () => {
  const e = engine({ range: "10.0.0.100-10.0.0.101" });
  dora(e, A);
  const later = T0 + 601_000;
  assert.equal(dora(e, A, later), "10.0.0.100", "same client, same address");
  const e2 = engine({ range: "10.0.0.100-10.0.0.100" });
  dora(e2, A);
  assert.equal(dora(e2, B, later), "10.0.0.100", "the pool reuses it for another client");
  assert.equal(send(e2, { type: MSG.REQUEST, mac: A, ciaddr: "10.0.0.100" }, later).kind, "nak");
});

test("DECLINE quarantines the address for declineSeconds", () => {
  const e = engine({ range: "10.0.0.100-10.0.0.101", declineSeconds: 60 });
  dora(e, A);
  const v = send(e, { type: MSG.DECLINE, mac: A, requested: "10.0.0.100", serverId: SERVER });
  assert.ok(v.kind === "silent" && v.durable?.state === "declined");
  assert.equal(dora(e, A, T0 + 1), "10.0.0.101");
  assert.equal(ipOfVerdict(send(e, { type: MSG.DISCOVER, mac: B }, T0 + 2)), null, "quarantined");
  assert.equal(ipOfVerdict(send(e, { type: MSG.DISCOVER, mac: B }, T0 + 61_000)), "10.0.0.100");
});

test("RELEASE gives the address back; the same client gets it again", () => {
  const e = engine();
  dora(e, A);
  const v = send(e, { type: MSG.RELEASE, mac: A, ciaddr: "10.0.0.100", serverId: SERVER });
  assert.ok(v.kind === "silent" && v.durable?.state === "released");
  assert.equal(e.lease(parseIp4("10.0.0.100")!)?.state, "released");
  assert.equal(dora(e, A), "10.0.0.100");
  assert.equal(send(e, { type: MSG.RELEASE, mac: B, ciaddr: "10.0.0.100" }).kind, "silent");
  assert.equal(e.lease(parseIp4("10.0.0.100")!)?.state, "bound", "B cannot release A's lease");
});

test("INFORM: configuration only", () => {
  const e = engine();
  const v = send(e, { type: MSG.INFORM, mac: C, ciaddr: "10.0.0.20" });
  assert.equal(v.kind, "inform");
});

test("reservations: the machine gets its address, nobody else does", () => {
  const e = engine({}, { [C]: "10.0.0.100", [B]: "10.0.0.30" });
  assert.equal(dora(e, A), "10.0.0.101", "the pool skips a reserved address");
  assert.equal(dora(e, C), "10.0.0.100", "reserved, inside the pool");
  assert.equal(dora(e, B), "10.0.0.30", "reserved, outside the pool");
  const asked = send(e, { type: MSG.DISCOVER, mac: "02:00:00:00:00:0d", requested: "10.0.0.30" });
  assert.notEqual(ipOfVerdict(asked), "10.0.0.30");
  const reboot = send(e, { type: MSG.REQUEST, mac: A, requested: "10.0.0.30" });
  assert.deepEqual(reboot, { kind: "nak", reason: "address reserved for another machine" });
  // A reserved machine renewing a dynamic address is sent back to DISCOVER.
  const e2 = engine();
  dora(e2, C);
  const moved = new LeaseEngine(e2.config, reservationTable({ [C]: "10.0.0.50" }), e2.serverId);
  moved.restore(e2.records(), T0);
  assert.equal(send(moved, { type: MSG.REQUEST, mac: C, ciaddr: "10.0.0.100" }).kind, "nak");
  assert.equal(dora(moved, C), "10.0.0.50");
});

test("a reservation made while another client holds the address waits for that lease", () => {
  const e = engine();
  dora(e, A); // .100
  const later = new LeaseEngine(e.config, reservationTable({ [C]: "10.0.0.100" }), e.serverId);
  later.restore(e.records(), T0);
  assert.equal(dora(later, C), "10.0.0.101", "pool address meanwhile");
  assert.equal(send(later, { type: MSG.REQUEST, mac: A, ciaddr: "10.0.0.100" }).kind, "nak");
});

test("a reserved machine keeps its address when a later boot stage sends a client id", () => {
  // Seen in the lab: OVMF's PXE (no option 61) bound the reservation, then the iPXE it
  // loaded asked with option 61 = 01+MAC and, with no pool, got no answer at all.
  const e = engine({ range: null }, { [C]: "10.0.0.40" });
  assert.equal(dora(e, C), "10.0.0.40", "firmware, keyed by chaddr");
  const ipxe = { clientId: `01${C.replaceAll(":", "")}` };
  assert.equal(dora(e, C, T0 + 1000, ipxe), "10.0.0.40", "iPXE, keyed by option 61");
  const reboot = { type: MSG.REQUEST, mac: C, requested: "10.0.0.40" } as const;
  assert.equal(send(e, reboot, T0 + 2000).kind, "ack", "INIT-REBOOT without the id, same MAC");
  // Another MAC with the same client id never gets it.
  assert.equal(send(e, { type: MSG.DISCOVER, mac: A, ...ipxe }, T0 + 3000).kind, "silent");
});

test("relayed: giaddr chooses the subnet; a giaddr outside every subnet is ignored", () => {
  const e = engine();
  assert.equal(dora(e, A, T0, { giaddr: "10.5.0.1" }), "10.5.0.50");
  assert.deepEqual(send(e, { type: MSG.DISCOVER, mac: B, giaddr: "172.16.0.1" }), {
    kind: "silent",
    reason: "giaddr outside every subnet",
  });
});

test("reservations only (no range): unknown clients get nothing", () => {
  const e = engine({ range: null }, { [C]: "10.0.0.40" });
  assert.deepEqual(send(e, { type: MSG.DISCOVER, mac: A }), {
    kind: "silent",
    reason: "no pool and no reservation",
  });
  assert.equal(dora(e, C), "10.0.0.40");
});

test("ping check: a fresh address is offered after the probe; one that answers is quarantined", () => {
  const e = engine({ pingMs: 200 });
  const v = send(e, { type: MSG.DISCOVER, mac: A });
  assert.deepEqual(
    [v.kind, ipOfVerdict(v), "probe" in v && v.probe],
    ["offer", "10.0.0.100", true],
  );
  assert.equal(send(e, { type: MSG.DISCOVER, mac: A }).kind, "silent", "retransmit while probing");
  const q = e.probed(v.kind === "offer" ? v.ip : (0 as Ip4), true, T0 + 200);
  assert.equal(q?.state, "declined");
  const next = send(e, { type: MSG.DISCOVER, mac: A }, T0 + 201);
  assert.equal(ipOfVerdict(next), "10.0.0.101");
  assert.equal(e.probed(parseIp4("10.0.0.101")!, false, T0 + 400), null);
  assert.equal(e.lease(parseIp4("10.0.0.101")!)?.state, "offered");
  // The client's own address needs no second check.
  const again = send(e, { type: MSG.DISCOVER, mac: A }, T0 + 500);
  assert.deepEqual([ipOfVerdict(again), "probe" in again && again.probe], ["10.0.0.101", false]);
});

test("restore: the records rebuild the same leases", () => {
  const e = engine();
  dora(e, A);
  dora(e, B);
  send(e, { type: MSG.RELEASE, mac: B, ciaddr: "10.0.0.101" });
  const f = new LeaseEngine(e.config, reservationTable({}), e.serverId);
  f.restore(e.records(), T0 + 1);
  assert.equal(send(f, { type: MSG.REQUEST, mac: A, ciaddr: "10.0.0.100" }, T0 + 2).kind, "ack");
  assert.equal(ipOfVerdict(send(f, { type: MSG.DISCOVER, mac: C }, T0 + 2)), "10.0.0.102");
  assert.equal(ipOfVerdict(send(f, { type: MSG.DISCOVER, mac: B }, T0 + 2)), "10.0.0.101");
});

test("10,000 clients in a /18 pool: distinct addresses, bounded work per packet", () => {
  const e = engine({
    subnet: "10.64.0.0/18",
    range: "10.64.0.10-10.64.63.250",
    router: "10.64.0.1",
    relayed: [],
  });
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const mac = `02:aa:00:00:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
    seen.add(dora(e, mac, T0 + i));
  }
  assert.equal(seen.size, 10_000);
});
