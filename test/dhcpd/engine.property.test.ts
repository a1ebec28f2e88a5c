/**
 * fast-check over random client behaviour (DORA, renew, init-reboot and selecting at any address,
 * release, decline, time passing, a restart from the records) against a tiny pool:
 * no two clients ever hold one address, and a reserved address is only ever given to its MAC.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseServerConfig } from "../../src/dhcpd/config.js";
import { LeaseEngine, type Verdict } from "../../src/dhcpd/engine.js";
import { formatIp4, parseIp4 } from "../../src/core/ipv4.js";
import { MSG } from "../../src/dhcp/codec/options.js";
import { clientPacket, type ClientMessage } from "../../scripts/dhcp/client-packets.js";
import { reservationTable } from "./reservations.js";

const SERVER = "10.0.0.2";
const MACS = Array.from({ length: 6 }, (_, i) => `02:00:00:00:00:0${i}`);
const RESERVED: Record<string, string> = { [MACS[0]!]: "10.0.0.101", [MACS[1]!]: "10.0.0.20" };
const ADDRS = ["10.0.0.20", "10.0.0.100", "10.0.0.101", "10.0.0.102", "10.0.0.103", "10.0.0.7"];

type Step =
  | { op: "dora" | "discover" | "release" | "decline" | "renew" | "restart"; c: number }
  | { op: "reboot" | "select"; c: number; addr: number }
  | { op: "wait"; s: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constantFrom<"dora" | "discover" | "release" | "decline" | "renew" | "restart">(
      "dora",
      "discover",
      "release",
      "decline",
      "renew",
      "restart",
    ),
    c: fc.nat(MACS.length - 1),
  }),
  fc.record({
    op: fc.constantFrom<"reboot" | "select">("reboot", "select"),
    c: fc.nat(MACS.length - 1),
    addr: fc.nat(ADDRS.length - 1),
  }),
  fc.record({ op: fc.constant("wait" as const), s: fc.integer({ min: 1, max: 400 }) }),
);

test("property: one holder per address; reserved addresses only to their MAC", () => {
  const config = parseServerConfig({
    subnet: "10.0.0.0/24",
    range: "10.0.0.100-10.0.0.103",
    leaseSeconds: 120,
    offerSeconds: 10,
    declineSeconds: 60,
    pingMs: 0,
  });
  const reservations = reservationTable(RESERVED);
  fc.assert(
    fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
      let e = new LeaseEngine(config, reservations, parseIp4(SERVER)!);
      let now = 1_800_000_000_000;
      /** What each client was told it holds, until when. */
      const held = new Map<string, { ip: string; until: number }>();
      const send = (m: ClientMessage): Verdict => {
        const v = e.handle(clientPacket(m), now);
        if (v.kind === "ack") {
          const ip = formatIp4(v.ip);
          const owner = reservations.reservedBy(v.ip);
          assert.ok(
            owner === null || owner === m.mac,
            `${ip} reserved for ${owner} given to ${m.mac}`,
          );
          held.set(m.mac, { ip, until: v.durable.expiresAt });
        }
        if (v.kind === "nak") held.delete(m.mac);
        return v;
      };
      for (const s of steps) {
        if (s.op === "wait") {
          now += s.s * 1000;
          continue;
        }
        const mac = MACS[s.c]!;
        const mine = held.get(mac);
        switch (s.op) {
          case "discover":
            send({ type: MSG.DISCOVER, mac });
            break;
          case "dora": {
            const o = send({ type: MSG.DISCOVER, mac });
            if (o.kind === "offer")
              send({ type: MSG.REQUEST, mac, requested: formatIp4(o.ip), serverId: SERVER });
            break;
          }
          case "renew":
            if (mine && mine.until > now) send({ type: MSG.REQUEST, mac, ciaddr: mine.ip });
            break;
          case "reboot":
            send({ type: MSG.REQUEST, mac, requested: ADDRS[s.addr]! });
            break;
          case "select":
            send({ type: MSG.REQUEST, mac, requested: ADDRS[s.addr]!, serverId: SERVER });
            break;
          case "release":
            if (mine) send({ type: MSG.RELEASE, mac, ciaddr: mine.ip, serverId: SERVER });
            held.delete(mac);
            break;
          case "decline":
            if (mine) send({ type: MSG.DECLINE, mac, requested: mine.ip, serverId: SERVER });
            held.delete(mac);
            break;
          case "restart": {
            const next = new LeaseEngine(config, reservations, parseIp4(SERVER)!);
            next.restore(e.records(), now);
            e = next;
            break;
          }
        }
        const live = [...held].filter(([, h]) => h.until > now);
        const byIp = new Map<string, string>();
        for (const [m, h] of live) {
          const other = byIp.get(h.ip);
          assert.equal(other, undefined, `${h.ip} held by ${other} and ${m}`);
          byIp.set(h.ip, m);
        }
      }
    }),
    { numRuns: 400 },
  );
});
