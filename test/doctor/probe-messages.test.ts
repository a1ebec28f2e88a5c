import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeProbeAnswer,
  encodePxeDiscover,
  isPxeAnswer,
} from "../../src/doctor/pxe-probe-messages.js";
import { parseProcAddress } from "../../src/doctor/port-owner.js";

test("the PXE DISCOVER carries the broadcast flag, the MAC and the firmware's options", () => {
  const mac = Uint8Array.from([2, 1, 2, 3, 4, 5]);
  const b = encodePxeDiscover({ xid: 0xdeadbeef, mac, client: "efi" });
  assert.equal(b[0], 1);
  assert.equal(b.readUInt32BE(4), 0xdeadbeef);
  assert.equal(b.readUInt16BE(10), 0x8000);
  assert.deepEqual([...b.subarray(28, 34)], [...mac]);
  const text = b.toString("latin1");
  assert.ok(text.includes("PXEClient:Arch:00007:UNDI:002001"));
  assert.equal(b[b.length - 1], 255);
});

/** A reply as a server would build it from a request: op 2, options appended. */
function reply(req: Buffer, options: number[][], file = ""): Buffer {
  const r = Buffer.from(req.subarray(0, 240));
  r[0] = 2;
  r.write(file, 108, "latin1");
  const opts = options.flatMap(([code, ...data]) => [code!, data.length, ...data]);
  return Buffer.concat([r, Buffer.from([...opts, 255])]);
}

test("answers decode: server id, boot file from option 67 or the file field, PXE menu", () => {
  const req = encodePxeDiscover({ xid: 7, mac: new Uint8Array(6), client: "bios" });
  const menu = [6, 1, 3, 9, 7, 0x80, 0x00, 4, ...Buffer.from("Boot")];
  const a = decodeProbeAnswer(
    reply(req, [
      [53, 2],
      [54, 10, 0, 0, 9],
      [60, ...Buffer.from("PXEClient")],
      [43, ...menu],
    ]),
  )!;
  assert.equal(a.serverId, "10.0.0.9");
  assert.equal(a.messageType, 2);
  assert.deepEqual(a.pxeMenu, ["Boot"]);
  assert.equal(a.bootFile, null);
  assert.ok(isPxeAnswer(a));
  const b = decodeProbeAnswer(reply(req, [[53, 2]], "pxelinux.0"))!;
  assert.equal(b.bootFile, "pxelinux.0");
  const c = decodeProbeAnswer(
    reply(
      req,
      [
        [53, 2],
        [67, ...Buffer.from("x.efi")],
      ],
      "y",
    ),
  )!;
  assert.equal(c.bootFile, "x.efi");
  assert.ok(!isPxeAnswer(decodeProbeAnswer(reply(req, [[53, 2]]))!));
});

test("malformed answers are refused, never thrown on", () => {
  const req = encodePxeDiscover({
    xid: 9,
    mac: Uint8Array.from([2, 0, 0, 0, 0, 1]),
    client: "efi",
  });
  const good = reply(req, [
    [53, 2],
    [54, 10, 0, 0, 9],
  ]);
  assert.equal(decodeProbeAnswer(good)?.serverId, "10.0.0.9", "the unbroken answer decodes");
  const noCookie = Buffer.from(good);
  noCookie[236] = 0;
  const badOp = Buffer.from(good);
  badOp[0] = 3;
  const refused: [string, Buffer][] = [
    ["a request (op 1), such as another probe's DISCOVER", req],
    ["op 3", badOp],
    ["cut before the magic cookie ends", good.subarray(0, 239)],
    ["no magic cookie", noCookie],
    // option 54 says 4 bytes, 2 follow
    [
      "an option running past the end",
      Buffer.concat([good.subarray(0, 240), Buffer.from([53, 1, 2, 54, 4, 10, 0])]),
    ],
    ["100 zero bytes", Buffer.alloc(100)],
  ];
  for (const [what, bytes] of refused) assert.equal(decodeProbeAnswer(bytes), null, what);
  // Any bytes at all: an answer, when there is one, is the packet's own (a BOOTREPLY with
  // its xid), and nothing throws.
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, asReply) => {
      const b = Buffer.from(bytes);
      if (asReply && b.length >= 240) {
        b[0] = 2;
        b.writeUInt32BE(0x63825363, 236);
      }
      const a = decodeProbeAnswer(b);
      if (a !== null) {
        assert.equal(b[0], 2);
        assert.equal(a.xid, b.readUInt32BE(4));
      }
    }),
  );
});

test("/proc/net addresses", () => {
  assert.deepEqual(parseProcAddress("0100007F:0043"), ["127.0.0.1", 67]);
  assert.deepEqual(parseProcAddress("00000000:0045"), ["0.0.0.0", 69]);
  assert.deepEqual(parseProcAddress("00000000000000000000000000000000:0FAB"), ["::", 4011]);
  assert.deepEqual(parseProcAddress("0000000000000000FFFF00000100007F:0050"), [
    "::ffff:127.0.0.1",
    80,
  ]);
  assert.equal(parseProcAddress("zz"), null);
});
