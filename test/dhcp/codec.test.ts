import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodePacket,
  parsePacket,
  EncodeError,
  BOOTP_MIN_LENGTH,
  type DhcpPacket,
  type EncodeInput,
} from "../../src/dhcp/codec/packet.js";
import * as o from "../../src/dhcp/codec/options.js";
import { CAPTURES, capture, frame, CAPTURED_MAC, withOptionArea } from "./fixtures.js";

function parsed(buf: Buffer): DhcpPacket {
  const r = parsePacket(buf);
  if (!r.ok) assert.fail(`capture did not parse: ${r.reason}`);
  return r.packet;
}

function reencode(p: DhcpPacket, maxLength = 1500): Buffer {
  return encodePacket({ ...p, chaddr: p.chaddr, options: [...p.options.entries()] }, maxLength);
}

test("every packet of every capture parses, and re-encodes to the same bytes", () => {
  let n = 0;
  for (const name of CAPTURES) {
    for (const d of capture(name)) {
      const p = parsed(d.payload);
      assert.equal(p.chaddr.subarray(0, 6).toString("hex"), CAPTURED_MAC.replace(/:/g, ""));
      assert.deepEqual(reencode(p), d.payload, `${name} frame ${d.index}`);
      n++;
    }
  }
  assert.equal(n, 21);
});

test("EDK2 PXE DISCOVER: the options firmware-notes describes", () => {
  const p = parsed(frame("uefi-ovmf-pxe-then-ipxe.pcap", 1));
  assert.equal(o.messageType(p), o.MSG.DISCOVER);
  assert.equal(p.flags, 0x8000);
  assert.equal(o.maxMessageSize(p), 1472);
  assert.deepEqual(o.clientArch(p), [7]);
  assert.deepEqual(o.clientNdi(p), { type: 1, major: 3, minor: 0 });
  assert.equal(o.vendorClass(p), "PXEClient:Arch:00007:UNDI:003000");
  assert.equal(o.paramRequestList(p).length, 35);
  assert.equal(o.clientUuid(p)?.length, 17);
  assert.equal(o.clientUuid(p)?.[0], 0);
  assert.equal(o.clientId(p), null);
  assert.deepEqual(o.userClass(p), []);
  assert.equal(o.ipxeEncapsulated(p), null);
});

test("EDK2 port-4011 REQUEST is unicast with ciaddr set", () => {
  const p = parsed(frame("uefi-ovmf-pxe-then-ipxe.pcap", 6));
  assert.equal(o.messageType(p), o.MSG.REQUEST);
  assert.equal(p.ciaddr, "10.99.0.158");
  assert.equal(o.serverId(p), null);
  assert.deepEqual(o.clientArch(p), [7]);
});

test("iPXE DISCOVERs: plain user class iPXE, option 175, client id 01+MAC", () => {
  for (const [name, idx, arch, vc] of [
    ["uefi-ovmf-pxe-then-ipxe.pcap", 8, 7, "PXEClient:Arch:00007:UNDI:003010"],
    ["bios-seabios-ipxe-rom.pcap", 1, 0, "PXEClient:Arch:00000:UNDI:002001"],
  ] as const) {
    const p = parsed(frame(name, idx));
    assert.deepEqual(o.userClass(p), ["iPXE"]);
    assert.deepEqual(o.clientArch(p), [arch]);
    assert.equal(o.vendorClass(p), vc);
    assert.equal(o.clientId(p)?.toString("hex"), "01" + CAPTURED_MAC.replace(/:/g, ""));
    const encap = o.ipxeEncapsulated(p);
    assert.ok(encap && encap.size > 3, "175 parses as sub-options");
  }
});

test("the reference proxy's replies: siaddr set, PXE option 43 sub-options", () => {
  const bios = parsed(frame("bios-seabios-ipxe-rom.pcap", 2));
  assert.equal(bios.siaddr, "10.99.0.3");
  assert.equal(bios.file, "http://10.99.0.3:8080/boot.ipxe");
  const pxe = o.pxeVendorOptions(bios);
  assert.equal(pxe?.discoveryControl, 8);
  assert.equal(pxe?.menuPrompt?.subarray(1).toString(), "PXE");
  const ack = parsed(frame("uefi-ovmf-pxe-then-ipxe.pcap", 7));
  assert.equal(o.messageType(ack), o.MSG.ACK);
  assert.equal(ack.file, "snponly.efi");
  assert.equal(ack.siaddr, "10.99.0.3");
});

test("option 52 overload: options read from file, then sname, and concatenated (RFC 3396)", () => {
  const buf = withOptionArea(
    [53, 1, 1, 52, 1, 3, 60, 3, ...Buffer.from("PXE"), 0, 0, 255],
    [60, 3, ...Buffer.from("ent"), 255],
    [60, 3, ...Buffer.from("Cli"), 0, 67, 2, ...Buffer.from("ab"), 255],
  );
  const p = parsed(buf);
  assert.equal(o.vendorClass(p), "PXEClient");
  assert.equal(o.bootfileName(p), "ab");
  assert.equal(p.file, "");
  assert.equal(p.sname, "");
  assert.equal(p.options.has(52), false);
});

test("user class: RFC 3004 instances, and bare text", () => {
  const rfc = parsed(
    withOptionArea([77, 9, 4, ...Buffer.from("iPXE"), 3, ...Buffer.from("foo"), 255]),
  );
  assert.deepEqual(o.userClass(rfc), ["iPXE", "foo"]);
  const bare = parsed(withOptionArea([77, 4, ...Buffer.from("iPXE"), 255]));
  assert.deepEqual(o.userClass(bare), ["iPXE"]);
});

test("malformed input gives a reason, never an exception", () => {
  const cases: Array<[Buffer, RegExp]> = [
    [Buffer.alloc(10), /too short/],
    [Buffer.alloc(5000), /too long/],
    [withOptionArea([53, 5, 1]), /runs past/],
    [withOptionArea([53]), /no length/],
    [withOptionArea([52, 1, 9, 255]), /overload/],
    [withOptionArea([52, 1, 1, 255], [], [60, 200]), /in file/],
  ];
  const noCookie = withOptionArea([255]);
  noCookie.writeUInt32BE(0, 236);
  cases.push([noCookie, /cookie/]);
  for (const [buf, re] of cases) {
    const r = parsePacket(buf);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.reason, re);
  }
});

test("encoding: padded to 300 bytes, long options split, limits enforced", () => {
  const base: EncodeInput = {
    op: 2,
    xid: 1,
    chaddr: Buffer.alloc(6, 1),
    options: [[53, Buffer.from([2])]],
  };
  assert.equal(encodePacket(base).length, BOOTP_MIN_LENGTH);
  const long = Buffer.alloc(280, 7);
  const b = encodePacket({ ...base, options: [[43, long]] });
  assert.equal(b[240], 43);
  assert.equal(b[241], 255);
  assert.equal(b[240 + 2 + 255], 43);
  assert.equal(b[240 + 2 + 255 + 1], 25);
  assert.deepEqual(parsed(b).options.get(43), long);
  assert.throws(() => encodePacket({ ...base, options: [[43, Buffer.alloc(400)]] }), EncodeError);
  assert.throws(() => encodePacket({ ...base, file: "x".repeat(128) }), EncodeError);
  assert.throws(() => encodePacket({ ...base, sname: "x".repeat(64) }), EncodeError);
  assert.throws(() => encodePacket({ ...base, siaddr: "1.2.3" }), EncodeError);
  assert.throws(() => encodePacket({ ...base, options: [[0, Buffer.alloc(1)]] }), EncodeError);
});

/**
 * A message's size by RFC 2131 and RFC 3396, worked out apart from the encoder: 240 fixed
 * bytes, each option as 255-byte instances of code, length, data, one END; at least 300.
 */
function wireSize(options: readonly (readonly [number, Uint8Array])[]): number {
  let n = 240 + 1;
  for (const [, v] of options) n += v.length + 2 * Math.max(1, Math.ceil(v.length / 255));
  return Math.max(BOOTP_MIN_LENGTH, n);
}

const ipArb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join("."));
const textArb = (max: number) =>
  fc.string({
    maxLength: max,
    unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)),
  });
const optionsArb = fc.uniqueArray(
  fc.tuple(
    fc.integer({ min: 1, max: 254 }).filter((c) => c !== 52),
    fc.uint8Array({ maxLength: 300 }),
  ),
  { selector: (x) => x[0], maxLength: 12 },
);

test("property: encode then parse gives back every field and option", () => {
  fc.assert(
    fc.property(
      fc.record({
        op: fc.constantFrom(1, 2),
        xid: fc.nat(0xffffffff),
        secs: fc.nat(0xffff),
        flags: fc.nat(0xffff),
        ciaddr: ipArb,
        yiaddr: ipArb,
        siaddr: ipArb,
        giaddr: ipArb,
        chaddr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        sname: textArb(63),
        file: textArb(127),
        options: optionsArb,
      }),
      (input) => {
        // Every field is valid and 12 options of at most 300 bytes fit in 4096: no input
        // here may be refused, so a property that skipped refusals would prove nothing.
        const bytes = encodePacket(input, 4096);
        assert.equal(bytes.length, wireSize(input.options));
        const p = parsed(bytes);
        for (const k of [
          "op",
          "xid",
          "secs",
          "flags",
          "ciaddr",
          "yiaddr",
          "siaddr",
          "giaddr",
          "sname",
          "file",
        ] as const)
          assert.equal(p[k], input[k], k);
        assert.deepEqual(new Uint8Array(p.chaddr), input.chaddr);
        assert.deepEqual(
          [...p.options].map(([c, v]) => [c, new Uint8Array(v)]),
          input.options.map(([c, v]) => [c, new Uint8Array(v)]),
        );
      },
    ),
    { numRuns: 300 },
  );
});

test("property: the default limit is never exceeded (548 bytes, what every client takes)", () => {
  fc.assert(
    fc.property(optionsArb, (options) => {
      const encode = () => encodePacket({ op: 2, xid: 0, chaddr: Buffer.alloc(6), options });
      const size = wireSize(options);
      if (size <= 548) assert.equal(encode().length, size);
      else
        assert.throws(encode, {
          name: "EncodeError",
          message: `message of ${size} bytes exceeds the limit of 548`,
        });
    }),
  );
});

test("property: arbitrary bytes and mutated captures never throw", () => {
  const seeds = CAPTURES.flatMap((n) => capture(n).map((d) => d.payload));
  const check = (buf: Uint8Array) => {
    const r = parsePacket(buf);
    if (r.ok) {
      // Every typed accessor copes with whatever the parser accepted.
      const p = r.packet;
      for (const f of [
        o.messageType,
        o.serverId,
        o.paramRequestList,
        o.maxMessageSize,
        o.vendorClass,
        o.clientId,
        o.userClass,
        o.clientArch,
        o.clientNdi,
        o.clientUuid,
        o.pxeVendorOptions,
        o.ipxeEncapsulated,
        o.bootfileName,
        o.tftpServerName,
      ])
        f(p);
    } else assert.equal(typeof r.reason, "string");
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1500 }), check), { numRuns: 500 });
  fc.assert(
    fc.property(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(1499), fc.nat(255)), { maxLength: 20 }),
      fc.nat(1500),
      (seed, edits, cut) => {
        const b = Buffer.from(seed);
        for (const [at, v] of edits) if (at < b.length) b[at] = v;
        check(b.subarray(0, Math.min(cut, b.length)));
        check(b);
      },
    ),
    { numRuns: 1000 },
  );
});
