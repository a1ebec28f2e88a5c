import { test } from "node:test";
import assert from "node:assert/strict";
import { TokenLimiter } from "../../src/http/token-limiter.js";

test("refused tokens: a burst is let through, then one a second; another source is free", () => {
  let now = 0;
  const l = new TokenLimiter(10, 1, 100, () => now);
  for (let i = 0; i < 9; i++) l.refused("10.0.0.1");
  assert.equal(l.retryAfter("10.0.0.1"), 0, "nine mistakes are still allowed a tenth try");
  l.refused("10.0.0.1");
  assert.equal(l.retryAfter("10.0.0.1"), 1);
  assert.equal(l.retryAfter("10.0.0.2"), 0);
  now += 1000;
  assert.equal(l.retryAfter("10.0.0.1"), 0, "the bucket leaks one a second");
  for (let i = 0; i < 30; i++) l.refused("10.0.0.1");
  assert.equal(l.retryAfter("10.0.0.1"), 30); // 9 left after the leak, plus 30, less the 9 allowed
});

test("memory is bounded: past maxSources the longest-quiet source is forgotten", () => {
  const l = new TokenLimiter(10, 1, 1000, () => 0);
  for (let i = 0; i < 100_000; i++) l.refused(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  assert.equal(l.size, 1000);
});
