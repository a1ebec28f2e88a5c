import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodeAck,
  encodeData,
  encodeError,
  encodeOack,
  encodeRequest,
  parsePacket,
  type TftpPacket,
} from "../../src/tftp/codec/packet.js";
import { negotiate } from "../../src/tftp/codec/options.js";
import { requestSegments } from "../../src/tftp/server/paths.js";
import { parseProcNetArp } from "../../src/core/neighbours.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

test("golden bytes: RRQ with options, DATA, ACK, ERROR, OACK", () => {
  const rrq = encodeRequest("rrq", "ipxe.efi", "octet", [
    { name: "blksize", value: "1468" },
    { name: "tsize", value: "0" },
  ]);
  assert.deepEqual(
    rrq,
    Buffer.concat([hex("0001"), Buffer.from("ipxe.efi\0octet\0blksize\x001468\0tsize\x000\0")]),
  );
  assert.deepEqual(encodeData(65537, Buffer.from("ab")), hex("0003 0001 6162"));
  assert.deepEqual(encodeAck(0x1234), hex("0004 1234"));
  assert.deepEqual(
    encodeError(1, "File not found"),
    hex("0005 0001 46696c65206e6f7420666f756e64 00"),
  );
  assert.deepEqual(encodeOack([{ name: "tsize", value: "42" }]), hex("0006 7473697a6500 343200"));
});

test("parses what EDK2 and iPXE send: uppercase option names and mode", () => {
  const r = parsePacket(
    Buffer.concat([hex("0001"), Buffer.from("/snponly.efi\0OCTET\0TSIZE\x000\0BlkSize\x001468\0")]),
  );
  assert.ok(r.ok);
  assert.deepEqual(r.packet, {
    op: "rrq",
    filename: "/snponly.efi",
    mode: "octet",
    options: [
      { name: "tsize", value: "0" },
      { name: "blksize", value: "1468" },
    ],
  });
});

test("malformed datagrams come back with a reason naming the fault", () => {
  const cases: [Buffer, RegExp][] = [
    [hex(""), /shorter than an opcode/],
    [hex("00"), /shorter than an opcode/],
    [hex("0009 00"), /unknown opcode 9/],
    [Buffer.from("\0\x01file\0octet"), /unterminated string/],
    [Buffer.from("\0\x01file\0"), /needs a filename and a mode/],
    [Buffer.from("\0\x01\0octet\0"), /empty filename/],
    [Buffer.from("\0\x01f\0binary\0"), /unknown mode "binary"/],
    [Buffer.from("\0\x01f\0octet\0blksize\0"), /option "blksize" has no value/],
    [Buffer.from("\0\x01f\0octet\0tsize\x000\0TSIZE\x000\0"), /option "tsize" given twice/],
    [Buffer.from("\0\x01f\0octet\0\x001\0"), /empty option name/],
    [hex("0004 00"), /ack: 3 bytes/],
    [hex("0004 000100"), /ack: 5 bytes/],
    [hex("0003 00"), /shorter than its header/],
    [Buffer.concat([hex("0001"), Buffer.alloc(600, 0x41), hex("00")]), /longer than 512/],
  ];
  for (const [buf, re] of cases) {
    const r = parsePacket(buf);
    assert.equal(r.ok, false, buf.toString("hex"));
    if (!r.ok) assert.match(r.reason, re);
  }
});

const latin1Str = fc
  .string({ minLength: 1, maxLength: 40 })
  .map((s) => Buffer.from(s, "latin1").toString("latin1"))
  .filter((s) => !s.includes("\0"));

const packets: fc.Arbitrary<TftpPacket> = fc.oneof(
  fc.record({
    op: fc.constantFrom("rrq" as const, "wrq" as const),
    filename: latin1Str,
    mode: fc.constantFrom("octet", "netascii", "mail"),
    options: fc.uniqueArray(fc.record({ name: latin1Str, value: latin1Str }), {
      maxLength: 5,
      selector: (o) => o.name.toLowerCase(),
    }),
  }),
  fc.record({
    op: fc.constant("data" as const),
    block: fc.integer({ min: 0, max: 65535 }),
    data: fc.uint8Array({ maxLength: 1468 }),
  }),
  fc.record({ op: fc.constant("ack" as const), block: fc.integer({ min: 0, max: 65535 }) }),
  fc.record({
    op: fc.constant("error" as const),
    code: fc.integer({ min: 0, max: 8 }),
    message: fc.stringMatching(/^[ -~]{0,50}$/),
  }),
);

function encode(p: TftpPacket): Buffer {
  switch (p.op) {
    case "rrq":
    case "wrq":
      return encodeRequest(p.op, p.filename, p.mode, p.options);
    case "data":
      return encodeData(p.block, p.data);
    case "ack":
      return encodeAck(p.block);
    case "error":
      return encodeError(p.code, p.message);
    case "oack":
      return encodeOack(p.options);
  }
}

test("every packet round-trips through encode and parse", () => {
  fc.assert(
    fc.property(packets, (p) => {
      const r = parsePacket(encode(p));
      assert.ok(r.ok);
      const expected =
        p.op === "rrq" || p.op === "wrq"
          ? {
              ...p,
              options: p.options.map((o) => ({ name: o.name.toLowerCase(), value: o.value })),
            }
          : p.op === "data"
            ? { ...p, data: Buffer.from(p.data) }
            : { ...p };
      const got =
        r.packet.op === "data" ? { ...r.packet, data: Buffer.from(r.packet.data) } : r.packet;
      assert.deepEqual(got, expected);
    }),
    { numRuns: 500 },
  );
});

test("parse never throws on random or mutated bytes", () => {
  const mutated = fc
    .tuple(packets, fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 255 }), fc.nat(3))
    .map(([p, at, byte, how]) => {
      const b = encode(p);
      if (how === 0) return b.subarray(0, at % (b.length + 1));
      if (how === 1 && b.length > 0) b[at % b.length] = byte;
      if (how === 2) return Buffer.concat([b, Buffer.from([byte])]);
      return b;
    });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), mutated), (b) => {
      const r = parsePacket(b);
      assert.equal(typeof r.ok, "boolean");
    }),
    { numRuns: 2000 },
  );
});

test("negotiation clamps blksize and windowsize, answers tsize, drops what it cannot honour", () => {
  const limits = { maxBlksize: 1468, maxWindowsize: 64 };
  const n = negotiate(
    [
      { name: "blksize", value: "65464" },
      { name: "tsize", value: "0" },
      { name: "windowsize", value: "200" },
      { name: "timeout", value: "3" },
      { name: "multicast", value: "" },
    ],
    850528,
    limits,
  );
  assert.equal(n.blksize, 1468);
  assert.equal(n.windowsize, 64);
  assert.equal(n.timeoutMs, 3000);
  assert.deepEqual(n.oack, [
    { name: "blksize", value: "1468" },
    { name: "tsize", value: "850528" },
    { name: "windowsize", value: "64" },
    { name: "timeout", value: "3" },
  ]);
  assert.deepEqual(
    n.ignored.map((i) => i.name),
    ["multicast"],
  );

  const bad = negotiate(
    [
      { name: "blksize", value: "7" },
      { name: "timeout", value: "256" },
      { name: "windowsize", value: "0" },
      { name: "tsize", value: "-1" },
    ],
    10,
    limits,
  );
  assert.deepEqual(bad.oack, []);
  assert.equal(bad.blksize, 512);
  assert.equal(bad.windowsize, 1);
  assert.equal(bad.timeoutMs, null);
  assert.equal(bad.ignored.length, 4);

  const tiny = negotiate([{ name: "blksize", value: "8" }], 10, {
    maxBlksize: 65464,
    maxWindowsize: 1,
  });
  assert.equal(tiny.blksize, 8);
});

test("negotiated values always stay inside the limits", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 8, max: 65464 }),
      fc.integer({ min: 1, max: 65535 }),
      fc.string({ maxLength: 8 }),
      fc.string({ maxLength: 8 }),
      (maxBlksize, maxWindowsize, b, w) => {
        const n = negotiate(
          [
            { name: "blksize", value: b },
            { name: "windowsize", value: w },
          ],
          0,
          { maxBlksize, maxWindowsize },
        );
        assert.ok(n.blksize >= 8 && n.blksize <= Math.max(512, maxBlksize));
        assert.ok(n.windowsize >= 1 && n.windowsize <= maxWindowsize);
      },
    ),
  );
});

test("request paths: leading slash, root-absolute, backslashes; '..' and NUL refused", () => {
  const root = "/srv/tftp";
  assert.deepEqual(requestSegments(root, "ipxe.efi"), { segments: ["ipxe.efi"], absolute: false });
  assert.deepEqual(requestSegments(root, "/ipxe.efi"), { segments: ["ipxe.efi"], absolute: true });
  assert.deepEqual(requestSegments(root, "/srv/tftp/a/./b"), {
    segments: ["a", "b"],
    absolute: false,
  });
  assert.deepEqual(requestSegments(root, "a\\b"), { segments: ["a", "b"], absolute: false });
  for (const bad of [
    "../etc/passwd",
    "/../etc/passwd",
    "a/../../x",
    "a\\..\\..\\x",
    "/srv/tftp/../x",
  ]) {
    const r = requestSegments(root, bad);
    assert.ok("ok" in r && !r.ok && r.code === 2, bad);
  }
  const nul = requestSegments(root, "a\0b");
  assert.ok("ok" in nul && !nul.ok && nul.code === 2);
  const dir = requestSegments(root, "/");
  assert.ok("ok" in dir && !dir.ok && dir.code === 1);
});

test("/proc/net/arp parsing keeps complete entries only", () => {
  const text = [
    "IP address       HW type     Flags       HW address            Mask     Device",
    "10.0.0.2         0x1         0x2         52:54:00:AA:bb:01     *        veth0",
    "10.0.0.3         0x1         0x0         00:00:00:00:00:00     *        veth0",
    "10.0.0.4         0x1         0x6         52:54:00:aa:bb:02     *        br0",
    "garbage",
    "",
  ].join("\n");
  const m = parseProcNetArp(text);
  assert.equal(m.get("10.0.0.2"), "52:54:00:aa:bb:01");
  assert.equal(m.get("10.0.0.3"), undefined);
  assert.equal(m.get("10.0.0.4"), "52:54:00:aa:bb:02");
  assert.equal(m.size, 2);
});
