// The header fields, boundaries and refusals of src/dhcp/codec/packet.ts, each with the exact
// value or message: offsets, the first length refused, the field a message names.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  encodePacket,
  parsePacket,
  EncodeError,
  DHCP_DEFAULT_MAX_LENGTH,
  type DhcpPacket,
  type EncodeInput,
} from "../../src/dhcp/codec/packet.js";
import { withOptionArea } from "./fixtures.js";

const MAC = Buffer.from("525400123456", "hex");

function reason(b: Uint8Array): string {
  const r = parsePacket(b);
  if (r.ok) assert.fail("parsed, expected a refusal");
  return r.reason;
}

function parsed(b: Uint8Array): DhcpPacket {
  const r = parsePacket(b);
  if (!r.ok) assert.fail(`did not parse: ${r.reason}`);
  return r.packet;
}

function input(more: Partial<EncodeInput> = {}): EncodeInput {
  return { op: 2, xid: 1, chaddr: MAC, options: [], ...more };
}

function encodeFails(p: EncodeInput, message: string, maxLength?: number): void {
  assert.throws(() => encodePacket(p, maxLength), { name: "EncodeError", message });
}

test("parse: 240 bytes is the shortest message, 4096 the longest", () => {
  assert.equal(reason(Buffer.alloc(239)), "too short for a DHCP message: 239 bytes");
  assert.equal(parsed(withOptionArea([])).options.size, 0);
  assert.equal(parsed(withOptionArea(new Array<number>(4096 - 240).fill(0))).op, 1);
  assert.equal(
    reason(withOptionArea(new Array<number>(4097 - 240).fill(0))),
    "too long for a DHCP message: 4097 bytes",
  );
});

test("parse: op must be 1 or 2, hlen at most 16", () => {
  for (const op of [0, 3, 255]) {
    const b = withOptionArea([]);
    b[0] = op;
    assert.equal(reason(b), `bad op ${op}`);
  }
  const reply = withOptionArea([]);
  reply[0] = 2;
  assert.equal(parsed(reply).op, 2);
  const b = withOptionArea([]);
  b[2] = 16;
  assert.equal(parsed(b).hlen, 16);
  b[2] = 17;
  assert.equal(reason(b), "bad hlen 17");
});

test("parse: each header field read from its offset", () => {
  const b = withOptionArea([255]);
  b[1] = 6;
  b[3] = 7;
  b.writeUInt32BE(0xdeadbeef, 4);
  b.writeUInt16BE(0x1234, 8);
  b.writeUInt16BE(0x8000, 10);
  b.set([10, 0, 0, 1, 10, 0, 0, 2, 10, 0, 0, 3, 10, 0, 0, 4], 12);
  b.set(MAC, 28);
  const p = parsed(b);
  assert.deepEqual(
    [p.htype, p.hlen, p.hops, p.xid, p.secs, p.flags],
    [6, 6, 7, 0xdeadbeef, 0x1234, 0x8000],
  );
  assert.deepEqual(
    [p.ciaddr, p.yiaddr, p.siaddr, p.giaddr],
    ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"],
  );
  assert.equal(p.chaddr.length, 16);
  assert.deepEqual(p.chaddr.subarray(0, 6), MAC);
});

test("parse: sname and file stop at their NUL or at the field's end, never past it", () => {
  const full = withOptionArea(
    [],
    new Array<number>(64).fill(0x61),
    new Array<number>(128).fill(0x62),
  );
  const p = parsed(full);
  assert.equal(p.sname, "a".repeat(64));
  assert.equal(p.file, "b".repeat(128));
  const short = parsed(withOptionArea([], [0x68, 0x69, 0, 0x78], [0, 0x78]));
  assert.equal(short.sname, "hi");
  assert.equal(short.file, "");
});

test("parse: an error in options, file or sname names the area", () => {
  assert.equal(reason(withOptionArea([12])), "option 12 in options has no length byte");
  assert.equal(
    reason(withOptionArea([52, 1, 1, 255], [], [12, 200])),
    "option 12 in file runs past the end (length 200)",
  );
  const sname = new Array<number>(64).fill(0);
  sname[62] = 12;
  sname[63] = 5;
  assert.equal(
    reason(withOptionArea([52, 1, 2, 255], sname)),
    "option 12 in sname runs past the end (length 5)",
  );
  assert.equal(
    reason(withOptionArea([52, 1, 3, 255], [12, 64], [12, 1, 0x61])),
    "option 12 in sname runs past the end (length 64)",
  );
});

test("parse: option 52 must be one instance of one byte 1, 2 or 3", () => {
  const message = "option 52 (overload) must be one byte 1, 2 or 3";
  assert.equal(reason(withOptionArea([52, 1, 0, 255])), message);
  assert.equal(reason(withOptionArea([52, 1, 4, 255])), message);
  assert.equal(reason(withOptionArea([52, 2, 1, 0, 255])), message);
  assert.equal(reason(withOptionArea([52, 1, 1, 52, 1, 1, 255])), message);
  const both = parsed(withOptionArea([52, 1, 3, 255], [12, 1, 0x73], [12, 1, 0x66]));
  assert.deepEqual([...both.options.keys()], [12]);
  assert.equal(both.options.get(12)!.toString("latin1"), "fs");
  assert.deepEqual([both.sname, both.file], ["", ""]);
});

test("encode: header defaults and each field at its offset", () => {
  const d = encodePacket(input());
  assert.deepEqual([d[0], d[1], d[2], d[3]], [2, 1, 6, 0]);
  const b = encodePacket(
    input({
      op: 1,
      htype: 6,
      hlen: 16,
      hops: 3,
      xid: 0xcafef00d,
      secs: 9,
      flags: 0x8000,
      ciaddr: "10.0.0.1",
      yiaddr: "192.168.255.254",
      siaddr: "0.0.0.0",
      giaddr: "1.2.3.4",
      sname: "srv",
      file: "boot.efi",
    }),
  );
  assert.deepEqual([b[0], b[1], b[2], b[3]], [1, 6, 16, 3]);
  assert.equal(b.readUInt32BE(4), 0xcafef00d);
  assert.equal(b.readUInt16BE(8), 9);
  assert.equal(b.readUInt16BE(10), 0x8000);
  assert.deepEqual(
    [...b.subarray(12, 28)],
    [10, 0, 0, 1, 192, 168, 255, 254, 0, 0, 0, 0, 1, 2, 3, 4],
  );
  assert.deepEqual(b.subarray(28, 34), MAC);
  assert.equal(b.toString("latin1", 44, 48), "srv\0");
  assert.equal(b.toString("latin1", 108, 117), "boot.efi\0");
});

test("encode: an address that is not a dotted quad is refused, naming the field", () => {
  const bad: [keyof EncodeInput, string][] = [
    ["ciaddr", "1..2.3"],
    ["yiaddr", "1.2.3.256"],
    ["siaddr", "1.2.3.4 "],
    ["giaddr", "1.2.3.4a"],
    ["ciaddr", "1.2.3.a"],
    ["ciaddr", "1.2.3./"],
    ["yiaddr", "1.2.3.4.5"],
    ["siaddr", "1.2.3"],
    ["giaddr", ".1.2.3"],
  ];
  for (const [field, ip] of bad)
    encodeFails(input({ [field]: ip }), `${field}: not an IPv4 address: ${ip}`);
  const ok = encodePacket(input({ ciaddr: "255.0.09.10" }));
  assert.deepEqual([...ok.subarray(12, 16)], [255, 0, 9, 10]);
});

test("encode: sname keeps 63 bytes and file 127, a NUL is refused", () => {
  const fits = encodePacket(input({ sname: "s".repeat(63), file: "f".repeat(127) }));
  assert.equal(fits[44 + 62], 0x73);
  assert.equal(fits[44 + 63], 0);
  assert.equal(fits[108 + 126], 0x66);
  assert.equal(fits[108 + 127], 0);
  encodeFails(input({ sname: "s".repeat(64) }), "sname: 64 bytes does not fit (max 63)");
  encodeFails(input({ file: "f".repeat(128) }), "file: 128 bytes does not fit (max 127)");
  encodeFails(input({ file: "a\0b" }), "file: contains a NUL byte");
  encodeFails(input({ sname: "\0" }), "sname: contains a NUL byte");
});

test("encode: codes 0, 52, 255 and out of 0..255 are not options", () => {
  for (const code of [0, 52, 255, -1, 256])
    encodeFails(
      input({ options: [[code, Buffer.from([1])]] }),
      `option code ${code} cannot be encoded as an option`,
    );
});

test("encode: 548 bytes by default, one more is refused; chaddr at most 16 bytes", () => {
  assert.equal(DHCP_DEFAULT_MAX_LENGTH, 548);
  // 240 + 2 + 255 + 2 + 48 + END = 548
  const at = (n: number) =>
    input({
      options: [
        [60, Buffer.alloc(255, 1)],
        [61, Buffer.alloc(n, 2)],
      ],
    });
  assert.equal(encodePacket(at(48)).length, 548);
  encodeFails(at(49), "message of 549 bytes exceeds the limit of 548");
  assert.equal(encodePacket(at(49), 549).length, 549);
  assert.equal(encodePacket(input({ chaddr: Buffer.alloc(16, 1) })).length, 300);
  encodeFails(input({ chaddr: Buffer.alloc(17, 1) }), "chaddr: 17 bytes (max 16)");
  const e = new EncodeError("x");
  assert.equal(e.name, "EncodeError");
  assert.ok(e instanceof Error);
});

test("parse: a plain Uint8Array, even a window into a larger buffer, reads as a Buffer does", () => {
  const bytes = encodePacket(
    input({
      op: 1,
      xid: 0x01020304,
      options: [
        [53, Buffer.from([1])],
        [12, Buffer.from("host")],
      ],
    }),
  );
  const backing = new Uint8Array(bytes.length + 10);
  backing.set(bytes, 7);
  const window = new Uint8Array(backing.buffer, 7, bytes.length);
  const a = parsed(bytes);
  const b = parsed(window);
  assert.equal(b.xid, 0x01020304);
  assert.deepEqual(b.chaddr, a.chaddr);
  assert.deepEqual([...b.options], [...a.options]);
  assert.ok(Buffer.isBuffer(b.options.get(12)), "option values are Buffers either way");
});
