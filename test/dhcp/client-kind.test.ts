// What a network-boot client says it is (classifyClient): each row one option set and the
// exact kind and architecture, so every condition in src/dhcp/codec/client.ts is pinned by
// a row that changes its answer when the condition changes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ARCH, classifyClient, type ClientInfo } from "../../src/dhcp/codec/client.js";
import { OPT } from "../../src/dhcp/codec/options.js";

const u16 = (...ns: number[]) => {
  const b = Buffer.alloc(ns.length * 2);
  ns.forEach((n, i) => b.writeUInt16BE(n, i * 2));
  return b;
};
/** RFC 3004 user class: length-prefixed strings. */
const userClass = (...s: string[]) =>
  Buffer.concat(s.map((x) => Buffer.concat([Buffer.from([x.length]), Buffer.from(x)])));

function kindOf(opts: [number, Buffer][]): ClientInfo {
  return classifyClient({ options: new Map(opts) });
}

const vc = (s: string): [number, Buffer] => [OPT.vendorClass, Buffer.from(s)];

test("classifyClient: kind and arch for each way a client can say it", () => {
  const rows: [string, [number, Buffer][], ClientInfo][] = [
    ["nothing at all", [], { kind: "none", arch: null }],
    ["an ordinary DHCP client", [vc("udhcp 1.35.0")], { kind: "none", arch: null }],
    [
      "EDK2 PXE: option 93 and the class",
      [vc("PXEClient:Arch:00007:UNDI:003000"), [OPT.clientArch, u16(7)]],
      { kind: "pxe", arch: ARCH.efiX64 },
    ],
    [
      "option 93 wins over the class's Arch field",
      [vc("PXEClient:Arch:00000:UNDI:002001"), [OPT.clientArch, u16(9)]],
      { kind: "pxe", arch: ARCH.efiBc },
    ],
    [
      "the first of several option-93 values",
      [vc("PXEClient"), [OPT.clientArch, u16(16, 7)]],
      { kind: "pxe", arch: ARCH.efiX64Http },
    ],
    [
      "no option 93: the class's Arch field",
      [vc("PXEClient:Arch:00000:UNDI:002001")],
      { kind: "pxe", arch: ARCH.biosX86 },
    ],
    ["Arch field last in the class", [vc("PXEClient:Arch:00011")], { kind: "pxe", arch: 11 }],
    [
      "an Arch field of 4 digits is not one",
      [vc("PXEClient:Arch:0007:UNDI")],
      { kind: "pxe", arch: null },
    ],
    [
      "an Arch field followed by more digits is not one",
      [vc("PXEClient:Arch:000071")],
      { kind: "pxe", arch: null },
    ],
    [
      "an odd-length option 93 says nothing",
      [vc("PXEClient"), [OPT.clientArch, Buffer.from([0, 7, 1])]],
      { kind: "pxe", arch: null },
    ],
    [
      "UEFI HTTP boot",
      [vc("HTTPClient:Arch:00016:UNDI:003001"), [OPT.clientArch, u16(16)]],
      { kind: "http", arch: ARCH.efiX64Http },
    ],
    ["HTTPClient only at the start", [vc("xHTTPClient")], { kind: "none", arch: null }],
    ["PXEClient only at the start", [vc("x PXEClient")], { kind: "none", arch: null }],
    [
      "iPXE by its user class, though option 60 says PXEClient",
      [vc("PXEClient:Arch:00000:UNDI:002001"), [OPT.userClass, userClass("iPXE")]],
      { kind: "ipxe", arch: ARCH.biosX86 },
    ],
    [
      "iPXE among other user classes",
      [vc("PXEClient"), [OPT.userClass, userClass("site", "iPXE")], [OPT.clientArch, u16(7)]],
      { kind: "ipxe", arch: ARCH.efiX64 },
    ],
    [
      "a user class that only contains the letters is not iPXE",
      [vc("PXEClient"), [OPT.userClass, userClass("iPXE-like")]],
      { kind: "pxe", arch: null },
    ],
    [
      "iPXE by its option 175 alone",
      [[OPT.ipxeEncap, Buffer.from([0xb1, 1, 1])]],
      { kind: "ipxe", arch: null },
    ],
    [
      "iPXE wins over HTTPClient",
      [vc("HTTPClient"), [OPT.ipxeEncap, Buffer.from([0xb1, 1, 1])]],
      { kind: "ipxe", arch: null },
    ],
  ];
  for (const [what, opts, want] of rows) assert.deepEqual(kindOf(opts), want, what);
});
