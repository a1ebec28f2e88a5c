import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ExpiryHeap } from "../../src/dhcpd/pool.js";
import { LeaseSlots, type Lease, type LeaseState } from "../../src/dhcpd/lease-slots.js";
import type { ClientKey } from "../../src/dhcpd/lease.js";
import type { Ip4 } from "../../src/core/ipv4.js";
import type { Mac } from "../../src/core/mac.js";

test("the expiry heap pops every entry due, earliest first, past its first growth", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.nat({ max: 0xffffffff })), {
        maxLength: 300,
      }),
      fc.integer({ min: 0, max: 1000 }),
      (entries, now) => {
        const heap = new ExpiryHeap();
        for (const [at, ip] of entries) heap.push(at, ip as Ip4);
        assert.equal(heap.length, entries.length);
        const popped: Array<[number, number]> = [];
        for (let e = heap.popDue(now); e; e = heap.popDue(now)) popped.push([e.at, e.ip]);
        const due = entries.filter(([at]) => at <= now);
        assert.deepEqual(
          popped.map(([at]) => at),
          due.map(([at]) => at).sort((a, b) => a - b),
        );
        // The same pairs came out: an address stays with its time.
        const key = ([at, ip]: [number, number]) => `${at}/${ip}`;
        assert.deepEqual(popped.map(key).sort(), due.map(key).sort());
        assert.equal(heap.length, entries.length - due.length);
      },
    ),
    { numRuns: 300 },
  );
});

const hex = fc.integer({ min: 0, max: 255 }).map((b) => b.toString(16).padStart(2, "0"));
const macArb = fc.array(hex, { minLength: 6, maxLength: 6 }).map((b) => b.join(":") as Mac);
const states: LeaseState[] = ["probing", "offered", "bound", "released", "expired", "declined"];

test("lease slots give back what was put, against a Map of objects", () => {
  // Addresses above 2^31 too: the slots key them as signed 32-bit numbers.
  const ipArb = fc.constantFrom(0x0a000001, 0x0a000002, 0xac100001, 0xc0a80001, 0xffffffff);
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("put" as const),
      ip: ipArb,
      mac: fc.option(macArb),
      id: fc.option(fc.constantFrom("id:01", "id:ff00", "id:")),
      state: fc.constantFrom(...states),
      at: fc.double({ noNaN: true }),
    }),
    fc.record({ kind: fc.constant("delete" as const), ip: ipArb }),
    fc.record({
      kind: fc.constant("update" as const),
      ip: ipArb,
      state: fc.constantFrom(...states),
      at: fc.integer(),
    }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const slots = new LeaseSlots();
      const model = new Map<number, Lease>();
      for (const o of ops) {
        const ip = o.ip as Ip4;
        if (o.kind === "put") {
          // A client is its identifier, or its MAC, or nobody (no MAC, no identifier).
          const client: ClientKey | "" = (o.id as ClientKey | null) ?? o.mac ?? "";
          slots.put(ip, o.mac, client, o.state, o.at);
          model.set(ip, { ip, client, mac: o.mac, state: o.state, expiresAt: o.at });
        } else if (o.kind === "delete") {
          slots.delete(ip);
          model.delete(ip);
        } else {
          slots.update(ip, o.state, o.at);
          const m = model.get(ip);
          if (m) model.set(ip, { ...m, state: o.state, expiresAt: o.at });
        }
      }
      for (const [ip, l] of model) assert.deepEqual(slots.get(ip as Ip4), l);
      assert.deepEqual(
        [...slots.all()].sort((a, b) => a.ip - b.ip),
        [...model.values()].sort((a, b) => a.ip - b.ip),
      );
    }),
    { numRuns: 300 },
  );
});

test("a client is found by its identifier or by its MAC, in any case of hex digit", () => {
  const slots = new LeaseSlots();
  const mac = "02:ab:cd:ef:00:01" as Mac;
  slots.setAddressOf(mac, 0x0a000005 as Ip4);
  slots.setAddressOf("id:0102" as ClientKey, 0xc0a80001 as Ip4);
  assert.equal(slots.addressOf(mac), 0x0a000005);
  assert.equal(slots.addressOf("02:AB:CD:EF:00:01" as Mac), 0x0a000005);
  assert.equal(slots.addressOf("02:ab:cd:ef:00:02" as Mac), undefined);
  assert.equal(slots.addressOf("id:0102" as ClientKey), 0xc0a80001);
  slots.forgetAddressOf(mac);
  assert.equal(slots.addressOf(mac), undefined);
  assert.equal(slots.addressOf("id:0102" as ClientKey), 0xc0a80001);
});
