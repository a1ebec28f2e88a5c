/**
 * The codec against what a hostile LAN host sends: repeated options (RFC 3396 joins them),
 * the instance cap, worst-case shapes and mutated firmware packets.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MAX_INSTANCES } from "../../src/dhcp/codec/gather.js";
import * as o from "../../src/dhcp/codec/options.js";
import { parsePacket, DHCP_MAX_INPUT } from "../../src/dhcp/codec/packet.js";
import { classifyClient } from "../../src/dhcp/codec/client.js";
import { MUTATIONS, mutate, rng, worstCases } from "../support/hostile-dhcp.js";
import { CAPTURES, capture, withOptionArea } from "./fixtures.js";

test("repeated instances of one option are joined in wire order, once per code", () => {
  const area = [53, 1, 1];
  for (let k = 0; k < MAX_INSTANCES - 1; k++) area.push(60, 1, 0x41 + (k % 26));
  area.push(255);
  const r = parsePacket(withOptionArea(area));
  assert.ok(r.ok);
  const expected = Array.from({ length: MAX_INSTANCES - 1 }, (_, k) => 0x41 + (k % 26));
  assert.deepEqual([...r.packet.options.get(60)!], expected);
  assert.equal(o.messageType(r.packet), o.MSG.DISCOVER);
});

test("a packet with more option instances than the cap is refused, naming the cap", () => {
  // 1,284 one-byte instances in 4 KiB: the datagram that cost 1 ms when joined one by one.
  const area = [53, 1, 1];
  for (let k = 0; k < 1284; k++) area.push(60, 1, 0x41);
  const r = parsePacket(withOptionArea(area).subarray(0, DHCP_MAX_INPUT));
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.reason, `more than ${MAX_INSTANCES} option instances`);
});

test("empty instances keep the option present and add nothing", () => {
  const r = parsePacket(withOptionArea([60, 0, 60, 3, 80, 88, 69, 60, 0, 60, 0, 255]));
  assert.ok(r.ok);
  assert.equal(o.vendorClass(r.packet), "PXE");
  const alone = parsePacket(withOptionArea([60, 0, 60, 0, 255]));
  assert.ok(alone.ok);
  assert.equal(alone.packet.options.get(60)?.length, 0);
});

test("PXE sub-options repeated inside option 43 are joined too", () => {
  const r = parsePacket(withOptionArea([43, 6, 6, 1, 8, 6, 0, 255, 43, 3, 71, 2, 0x80, 255]));
  assert.ok(r.ok);
  // Sub-option 6 is [8] + [] = one byte; 71 has two bytes, not the four it needs.
  const pxe = o.pxeVendorOptions(r.packet);
  assert.equal(pxe?.discoveryControl, 8);
  assert.equal(pxe?.bootItem, null);
});

test("every worst-case shape, at 1,500 bytes, 4 KiB and 64 KiB, parses or gives a reason", () => {
  for (const size of [1500, DHCP_MAX_INPUT, 65507]) {
    for (const [name, b] of Object.entries(worstCases(size))) {
      const r = parsePacket(b);
      if (size > DHCP_MAX_INPUT) assert.equal(r.ok, false, name);
      if (r.ok) classifyClient(r.packet);
    }
  }
});

/** RFC 3396 as a model: each code's value is its instances' bytes, concatenated in order. */
const instance = fc.tuple(
  fc.integer({ min: 1, max: 254 }).filter((c) => c !== 52),
  fc.uint8Array({ maxLength: 12 }),
);

test("property: options parse to the concatenation of their instances (RFC 3396 model)", () => {
  fc.assert(
    fc.property(fc.array(instance, { maxLength: MAX_INSTANCES }), (instances) => {
      const area = instances.flatMap(([c, v]) => [c, v.length, ...v]);
      const r = parsePacket(withOptionArea([...area, 255]));
      assert.ok(r.ok);
      const model = new Map<number, number[]>();
      for (const [c, v] of instances) model.set(c, [...(model.get(c) ?? []), ...v]);
      assert.deepEqual([...r.packet.options.keys()], [...model.keys()]);
      for (const [c, v] of model) assert.deepEqual([...r.packet.options.get(c)!], v);
    }),
    { numRuns: 300 },
  );
});

test("property: mutated firmware packets never throw, and parse in bounded work", () => {
  const seeds = CAPTURES.flatMap((n) => capture(n).map((d) => d.payload));
  fc.assert(
    fc.property(
      fc.constantFrom(...seeds),
      fc.constantFrom(...MUTATIONS),
      fc.integer(),
      (seed, kind, s) => {
        const b = mutate(seed, kind, rng(s));
        const r = parsePacket(b);
        if (!r.ok) {
          assert.equal(typeof r.reason, "string");
          return;
        }
        // Bounded by construction: no accepted packet is over the input limit or the cap.
        assert.ok(b.length <= DHCP_MAX_INPUT);
        assert.ok(r.packet.options.size <= MAX_INSTANCES);
        classifyClient(r.packet);
        o.pxeVendorOptions(r.packet);
        o.ipxeEncapsulated(r.packet);
      },
    ),
    { numRuns: 1000 },
  );
});
