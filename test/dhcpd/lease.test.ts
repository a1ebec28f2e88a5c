import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { macOfChaddr } from "../../src/dhcpd/lease.js";
import { parseMac } from "../../src/core/mac.js";

const reference = (c: Uint8Array): string =>
  Array.from(c.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join(":");

test("macOfChaddr is chaddr's first six bytes as a Mac, whatever follows them", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (chaddr) => {
      const mac = macOfChaddr(chaddr);
      assert.equal(mac, reference(chaddr));
      assert.equal(parseMac(mac), mac);
    }),
    { numRuns: 2000 },
  );
});

test("macOfChaddr's strings are not views of its scratch buffer: a later call leaves them", () => {
  const first = macOfChaddr(Uint8Array.of(0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, 1, 2));
  const second = macOfChaddr(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
  assert.equal(first, "52:54:00:ab:cd:ef");
  assert.equal(second, "ff:ff:ff:ff:ff:ff");
});
