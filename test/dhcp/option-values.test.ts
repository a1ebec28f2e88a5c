// What each DHCP option accessor reads from an option's bytes, exactly: the well-formed
// value, and null (or empty) for each ill-formed length. Sub-options encode and parse back.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  OPT,
  bootfileName,
  clientArch,
  clientId,
  clientNdi,
  clientUuid,
  encodeSubOptions,
  ipxeEncapsulated,
  maxMessageSize,
  messageType,
  paramRequestList,
  parseSubOptions,
  pxeVendorOptions,
  requestedIp,
  serverId,
  tftpServerName,
  userClass,
  vendorClass,
} from "../../src/dhcp/codec/options.js";

const B = (...bytes: number[]) => Buffer.from(bytes);
const p = (code: number, value: Buffer) => ({ options: new Map([[code, value]]) });
const none = { options: new Map<number, Buffer>() };

test("fixed-length options: the value at the right length, null otherwise", () => {
  assert.equal(messageType(p(OPT.messageType, B(3))), 3);
  assert.equal(messageType(p(OPT.messageType, B(3, 1))), null);
  assert.equal(messageType(none), null);
  assert.equal(serverId(p(OPT.serverId, B(10, 0, 0, 254))), "10.0.0.254");
  assert.equal(serverId(p(OPT.serverId, B(10, 0, 0))), null);
  assert.equal(serverId(none), null);
  assert.equal(requestedIp(p(OPT.requestedIp, B(192, 168, 1, 7))), "192.168.1.7");
  assert.equal(requestedIp(p(OPT.serverId, B(192, 168, 1, 7))), null);
  assert.equal(maxMessageSize(p(OPT.maxMessageSize, B(0x04, 0xec))), 1260);
  assert.equal(maxMessageSize(p(OPT.maxMessageSize, B(0x04))), null);
  assert.deepEqual(clientNdi(p(OPT.clientNdi, B(1, 2, 1))), { type: 1, major: 2, minor: 1 });
  assert.equal(clientNdi(p(OPT.clientNdi, B(1, 2))), null);
  assert.equal(clientNdi(none), null);
  const uuid = Buffer.concat([B(0), Buffer.alloc(16, 0xab)]);
  assert.deepEqual(clientUuid(p(OPT.clientUuid, uuid)), uuid);
  assert.equal(clientUuid(p(OPT.clientUuid, uuid.subarray(0, 16))), null);
  assert.equal(clientUuid(p(OPT.clientUuid, Buffer.concat([B(1), uuid.subarray(1)]))), null);
  assert.equal(clientUuid(none), null);
  assert.deepEqual(clientId(p(OPT.clientId, B(1, 2))), B(1, 2));
  assert.equal(clientId(p(OPT.clientId, B(1))), null);
  assert.equal(clientId(none), null);
});

test("text and list options", () => {
  assert.equal(vendorClass(p(OPT.vendorClass, Buffer.from("PXEClient"))), "PXEClient");
  assert.equal(tftpServerName(p(OPT.tftpServerName, Buffer.from("tftp.lan"))), "tftp.lan");
  assert.equal(tftpServerName(p(OPT.bootfileName, Buffer.from("x"))), null);
  assert.equal(bootfileName(p(OPT.bootfileName, Buffer.from("ipxe.efi"))), "ipxe.efi");
  assert.equal(bootfileName(none), null);
  assert.deepEqual(paramRequestList(p(OPT.paramRequestList, B(1, 3, 67))), [1, 3, 67]);
  assert.deepEqual(paramRequestList(none), []);
  assert.deepEqual(clientArch(p(OPT.clientArch, B(0, 7, 0, 0x10))), [7, 16]);
  assert.deepEqual(clientArch(p(OPT.clientArch, B(0, 7, 0))), []);
  assert.deepEqual(clientArch(p(OPT.clientArch, B())), []);
  assert.deepEqual(clientArch(none), []);
});

test("user class: RFC 3004 instances, else the bare text as one name", () => {
  const uc = (...b: number[]) => userClass(p(OPT.userClass, B(...b)));
  assert.deepEqual(uc(4, ...Buffer.from("iPXE"), 1, 0x41), ["iPXE", "A"]);
  assert.deepEqual(userClass(p(OPT.userClass, Buffer.from("iPXE"))), ["iPXE"]);
  // a zero length, or an instance running past the end: bare text
  assert.deepEqual(uc(0, 0x41), ["\0A"]);
  assert.deepEqual(uc(1, 0x41, 0), ["\x01A\0"]);
  assert.deepEqual(uc(1, 0x41, 2, 0x42), ["\x01A\x02B"]);
  assert.deepEqual(uc(2, 0x41, 0x42), ["AB"]);
  assert.deepEqual(uc(), []);
  assert.deepEqual(userClass(none), []);
});

test("sub-options: encoded as code, length, value, end; parsed back; bounds refused", () => {
  const enc = encodeSubOptions([
    [6, B(8)],
    [9, B(0x80, 0, 1, 0x41)],
  ]);
  assert.deepEqual(enc, B(6, 1, 8, 9, 4, 0x80, 0, 1, 0x41, 255));
  assert.deepEqual(encodeSubOptions([]), B(255));
  assert.deepEqual(encodeSubOptions([[1, Buffer.alloc(255)]]).length, 258);
  assert.throws(() => encodeSubOptions([[3, Buffer.alloc(256)]]), {
    name: "RangeError",
    message: "sub-option 3 longer than 255 bytes",
  });
  assert.deepEqual(
    parseSubOptions(enc),
    new Map([
      [6, B(8)],
      [9, B(0x80, 0, 1, 0x41)],
    ]),
  );
  assert.equal(parseSubOptions(B(6, 5, 1)), null);
  const ipxe = ipxeEncapsulated(p(OPT.ipxeEncap, B(19, 1, 1, 255)));
  assert.deepEqual(ipxe, new Map([[19, B(1)]]));
  assert.equal(ipxeEncapsulated(p(OPT.ipxeEncap, B(19, 9))), null);
  assert.equal(ipxeEncapsulated(none), null);
});

test("PXE vendor options: each sub-option at its length, null when absent or ill-formed", () => {
  const v43 = encodeSubOptions([
    [6, B(8)],
    [8, B(0x80, 0, 1, 10, 0, 0, 1)],
    [9, B(0x80, 0, 1, 0x41)],
    [10, B(3, 0x42)],
    [71, B(0x80, 0, 0, 0)],
  ]);
  assert.deepEqual(pxeVendorOptions(p(OPT.vendorSpecific, v43)), {
    discoveryControl: 8,
    bootServers: B(0x80, 0, 1, 10, 0, 0, 1),
    bootMenu: B(0x80, 0, 1, 0x41),
    menuPrompt: B(3, 0x42),
    bootItem: { type: 0x8000, layer: 0 },
  });
  const odd = encodeSubOptions([
    [6, B(8, 8)],
    [71, B(0x80, 0, 0)],
  ]);
  assert.deepEqual(pxeVendorOptions(p(OPT.vendorSpecific, odd)), {
    discoveryControl: null,
    bootServers: null,
    bootMenu: null,
    menuPrompt: null,
    bootItem: null,
  });
  assert.equal(pxeVendorOptions(p(OPT.vendorSpecific, B(6, 3, 1))), null);
  assert.equal(pxeVendorOptions(none), null);
});
