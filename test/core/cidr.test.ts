import { test } from "node:test";
import assert from "node:assert/strict";
import { inCidr, parseCidr, plainIPv4 } from "../../src/core/cidr.js";

test("CIDR membership, and the plain IPv4 of a socket address", () => {
  const lo = parseCidr("127.0.0.0/8");
  assert.ok(lo && inCidr("127.1.2.3", lo) && !inCidr("128.0.0.1", lo));
  const all = parseCidr("0.0.0.0/0");
  assert.ok(all && inCidr("203.0.113.9", all));
  const one = parseCidr("10.2.3.4/32");
  assert.ok(one && inCidr("10.2.3.4", one) && !inCidr("10.2.3.5", one));
  for (const bad of ["10.0.0.0/33", "10.0.0/8", "10.0.0.0/8/1", "x/8", "10.0.0.0/"])
    assert.equal(parseCidr(bad), null, bad);
  assert.equal(plainIPv4("::ffff:10.0.0.1"), "10.0.0.1");
  assert.equal(plainIPv4("fe80::1"), null);
  assert.equal(plainIPv4(undefined), null);
});
