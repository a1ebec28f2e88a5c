/**
 * PairCounts: per-packet counts reach the Prometheus counter when the registry is read, by
 * label pair, and only once (a second read adds nothing new).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createMetrics } from "../../src/core/metrics.js";

test("DHCP packet counts appear in /metrics by label pair, each counted once", async () => {
  const m = createMetrics();
  for (let i = 0; i < 3; i++) m.dhcpPacketCounts.inc("malformed", "unknown");
  m.dhcpPacketCounts.inc("answered", "pxe");
  const text = await m.registry.metrics();
  assert.match(text, /landscaper_dhcp_packets_total\{outcome="malformed",client="unknown"\} 3\n/);
  assert.match(text, /landscaper_dhcp_packets_total\{outcome="answered",client="pxe"\} 1\n/);
  m.dhcpPacketCounts.inc("answered", "pxe");
  const again = await m.registry.metrics();
  assert.match(again, /landscaper_dhcp_packets_total\{outcome="malformed",client="unknown"\} 3\n/);
  assert.match(again, /landscaper_dhcp_packets_total\{outcome="answered",client="pxe"\} 2\n/);
});
