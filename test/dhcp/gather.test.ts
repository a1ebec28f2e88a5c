// src/dhcp/codec/gather.ts through its exports: the (code, length, value) walk, the instance
// cap, the one-byte reading of option 52, and the RFC 3396 join of repeated codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Instances, MAX_INSTANCES, walkArea } from "../../src/dhcp/codec/gather.js";
import { parsePacket } from "../../src/dhcp/codec/packet.js";
import { withOptionArea } from "./fixtures.js";

function walked(bytes: number[]): { buf: Buffer; into: Instances; err: string | null } {
  const buf = Buffer.from(bytes);
  const into = new Instances(buf);
  return { buf, into, err: walkArea(buf, 0, buf.length, "options", into) };
}

/** Each value as [code, its bytes] in the map's order. */
function entries(m: Map<number, Buffer>): [number, number[]][] {
  return [...m].map(([code, v]) => [code, [...v]]);
}

test("the cap: 64 instances are read, the 65th refuses the area (empty repeats count)", () => {
  assert.equal(MAX_INSTANCES, 64);
  const distinct = (n: number) => Array.from({ length: n }, (_, i) => [i + 1, 0]).flat();
  assert.equal(walked(distinct(64)).err, null);
  assert.equal(walked(distinct(65)).err, "more than 64 option instances");
  const empties = [12, 1, 0x61, ...new Array<number[]>(64).fill([12, 0]).flat()];
  assert.equal(walked(empties).err, "more than 64 option instances");
  assert.equal(walked(empties.slice(0, -2)).err, null);
});

test("walk: PAD skipped, END stops, a truncated instance names code and area", () => {
  const { into, err } = walked([0, 0, 3, 1, 9, 255, 4, 9]);
  assert.equal(err, null);
  assert.deepEqual(entries(into.join()), [[3, [9]]]);
  assert.equal(walked([0, 7]).err, "option 7 in options has no length byte");
  assert.equal(walked([7, 2, 1]).err, "option 7 in options runs past the end (length 2)");
  assert.equal(walked([7, 2, 1, 2]).err, null);
});

test("has and singleByte: one instance of one byte, nothing else", () => {
  const { into } = walked([52, 1, 3, 1, 2, 9, 9, 6, 0, 7, 1, 5, 7, 1, 6, 8, 1, 4, 8, 0]);
  assert.equal(into.singleByte(52), 3);
  assert.equal(into.singleByte(1), null); // two bytes
  assert.equal(into.singleByte(6), null); // empty
  assert.equal(into.singleByte(7), null); // twice
  assert.equal(into.singleByte(8), 4); // an empty repeat adds nothing
  assert.equal(into.singleByte(99), null);
  assert.equal(into.has(52), true);
  assert.equal(into.has(6), true);
  assert.equal(into.has(99), false);
  assert.equal(into.has(52 + 32), false);
});

test("join without repeats: views of the input in wire order, every code but skip", () => {
  const { buf, into } = walked([1, 1, 0xaa, 3, 2, 1, 2, 52, 1, 1, 2, 0]);
  const all = into.join();
  assert.deepEqual(entries(all), [
    [1, [0xaa]],
    [3, [1, 2]],
    [52, [1]],
    [2, []],
  ]);
  assert.equal(all.get(3)!.buffer, buf.buffer);
  assert.equal(all.get(3)!.byteOffset, buf.byteOffset + 5);
  assert.deepEqual([...into.join(52).keys()], [1, 3, 2]);
  assert.deepEqual([...into.join(1).keys()], [3, 52, 2]);
});

test("join with repeats: each code's instances in wire order, codes by first appearance", () => {
  // 1: a, b c, d   3: once   5: x, y   52: twice, skipped   12: empty, then z
  const bytes = [
    ...[1, 1, 0x61, 3, 1, 0x33, 5, 1, 0x78, 52, 1, 1, 1, 2, 0x62, 0x63, 12, 0],
    ...[5, 1, 0x79, 52, 1, 2, 1, 1, 0x64, 12, 1, 0x7a],
  ];
  const { buf, into } = walked(bytes);
  const expected: [number, number[]][] = [
    [1, [0x61, 0x62, 0x63, 0x64]],
    [3, [0x33]],
    [5, [0x78, 0x79]],
    [12, [0x7a]],
  ];
  assert.deepEqual(entries(into.join(52)), expected);
  // Twice more: the shared per-code table was left zeroed by each join (a count left
  // over would make code 3 look repeated: a copy, not a view of the input).
  const again = into.join(52);
  assert.deepEqual(entries(again), expected);
  assert.equal(again.get(3)!.buffer, buf.buffer);
  assert.equal(again.get(3)!.byteOffset, buf.byteOffset + 5);
  assert.deepEqual(entries(into.join(1)), [
    [3, [0x33]],
    [5, [0x78, 0x79]],
    [52, [1, 2]],
    [12, [0x7a]],
  ]);
  assert.deepEqual(entries(walked([5, 2, 1, 2, 7, 1, 9, 5, 1, 3]).into.join()), [
    [5, [1, 2, 3]],
    [7, [9]],
  ]);
});

test("join: codes whose per-code slots mirror each other (100, 156) keep their own values", () => {
  const { into } = walked([7, 1, 1, 100, 1, 2, 156, 1, 3, 7, 1, 4, 100, 1, 5, 156, 1, 6]);
  assert.deepEqual(entries(into.join()), [
    [7, [1, 4]],
    [100, [2, 5]],
    [156, [3, 6]],
  ]);
});

test("join: a code sent once among repeats is a view of the input", () => {
  const { buf, into } = walked([4, 1, 1, 9, 2, 7, 7, 4, 1, 2]);
  const v = into.join().get(9)!;
  assert.equal(v.buffer, buf.buffer);
  assert.equal(v.byteOffset, buf.byteOffset + 5);
  assert.deepEqual([...v], [7, 7]);
});

test("parse: an empty repeat of option 52 leaves it one byte; value instances join (RFC 3396)", () => {
  const r = parsePacket(withOptionArea([52, 1, 1, 52, 0, 255], [], [67, 2, 0x61, 0x62, 255]));
  if (!r.ok) assert.fail(r.reason);
  assert.deepEqual(entries(new Map(r.packet.options)), [[67, [0x61, 0x62]]]);
  const j = parsePacket(
    withOptionArea([60, 1, 0x50, 60, 1, 0x58, 52, 1, 1, 255], [], [60, 1, 0x45, 255]),
  );
  if (!j.ok) assert.fail(j.reason);
  assert.equal(j.packet.options.get(60)!.toString("latin1"), "PXE");
});
