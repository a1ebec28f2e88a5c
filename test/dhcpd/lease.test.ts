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
