import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_RETRY, RetransmitTimeout } from "../../src/tftp/server/retry.js";

test("retransmit timeout: the cap until a round trip is measured, then 4 x smoothed RTT", () => {
  const t = new RetransmitTimeout(1000, DEFAULT_RETRY);
  assert.equal(t.ms, 1000);
  t.measured(40);
  assert.equal(t.ms, 160);
  // RFC 6298's gain of 1/8: 40 * 7/8 + 200 / 8 = 60, times 4
  t.measured(200);
  assert.equal(t.ms, 240);
  // a first sample of 0 ms (a loopback client) is a measurement like any other
  const fast = new RetransmitTimeout(1000, DEFAULT_RETRY);
  fast.measured(0);
  fast.measured(400); // smoothed: 400 / 8 = 50, times 4
  assert.equal(fast.ms, 200);
});

test("retransmit timeout: never below minRtoMs nor above the client's negotiated timeout", () => {
  const t = new RetransmitTimeout(300, DEFAULT_RETRY);
  t.measured(1);
  assert.equal(t.ms, DEFAULT_RETRY.minRtoMs);
  for (let i = 0; i < 20; i++) t.measured(5000);
  assert.equal(t.ms, 300);
});

test("retransmit timeout: doubles per retry, up to maxRtoMs", () => {
  const t = new RetransmitTimeout(1000, DEFAULT_RETRY);
  t.measured(100);
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((r) => t.after(r)),
    [400, 800, 1600, 3200, DEFAULT_RETRY.maxRtoMs],
  );
});
