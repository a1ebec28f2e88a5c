import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseMac, macFromBytes, macToBytes } from "../../src/core/mac.js";

test("parseMac accepts the three spellings and canonicalises", () => {
  for (const s of ["AA:BB:CC:DD:EE:0F", "aa-bb-cc-dd-ee-0f", "aabb.ccdd.ee0f", "AABBCCDDEE0F"]) {
    assert.equal(parseMac(s), "aa:bb:cc:dd:ee:0f");
  }
});

test("parseMac refuses mixed separators, short and non-hex input", () => {
  for (const s of [
    "aa:bb-cc:dd:ee:ff",
    "aa:bb:cc:dd:ee",
    "gg:bb:cc:dd:ee:ff",
    "",
    "aa:bb:cc:dd:ee:ff:00",
  ]) {
    assert.equal(parseMac(s), null, s);
  }
});

test("bytes round-trip", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
      const mac = macFromBytes(b);
      assert.equal(parseMac(mac), mac);
      assert.deepEqual(new Uint8Array(macToBytes(mac)), b);
    }),
  );
});
