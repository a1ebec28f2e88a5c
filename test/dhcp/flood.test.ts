/**
 * The short variant of scripts/bench/hostile, on loopback: the flood generator sends mutated
 * firmware packets as fast as it can for 3 s at the proxyDHCP's two ports while a client
 * runs a port-4011 REQUEST/ACK every 200 ms. The server must not fail, must count what it
 * dropped, and must answer the client. (The 30 s figures, beside dnsmasq, are the benchmark.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import dgram from "node:dgram";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startDhcpServer } from "../../src/dhcp/server/server.js";
import { createMetrics } from "../../src/core/metrics.js";
import type { Mac } from "../../src/core/mac.js";
import { BootUrls } from "../../src/boot/urls.js";
import { serverContext } from "../support/context.js";
import { armedOracle, EDK2_PROXY_REQUEST, loopbackDhcpConfig } from "./fixtures.js";
import { rewrite } from "./rewrite.js";

const ARMED = "02:22:00:00:00:02" as Mac;
const flooder = fileURLToPath(new URL("../../scripts/bench/hostile-flood.js", import.meta.url));

test("a 3 s flood of mutated packets: no failure, counted, the real client answered", async (t) => {
  const config = loopbackDhcpConfig();
  const urls = new BootUrls(config.address, 8080);
  // The captures' MAC is armed too: mutated packets that still parse get answers.
  const oracle = armedOracle(urls, [ARMED, "52:54:00:12:34:56" as Mac]);
  const metrics = createMetrics();
  const svc = await startDhcpServer(serverContext(config, { oracle, urls, metrics }));
  const client = dgram.createSocket("udp4");
  client.bind(0, "127.0.0.1");
  await once(client, "listening");
  t.after(async () => {
    client.close();
    await svc.close();
  });

  const flood = promisify(execFile)(
    process.execPath,
    [
      flooder,
      JSON.stringify({
        server: "127.0.0.1",
        to67: "127.0.0.1",
        seconds: 3,
        dhcpPort: svc.ports.dhcp,
        proxyPort: svc.ports.proxy,
      }),
    ],
    { timeout: 20_000 },
  );
  const acked = new Set<number>();
  client.on("message", (m) => {
    if (m.length > 240 && m[0] === 2) acked.add(m.readUInt32BE(4));
  });
  let asked = 0;
  const until = Date.now() + 3000;
  while (Date.now() < until) {
    const req = rewrite(EDK2_PROXY_REQUEST(), {
      mac: ARMED,
      xid: 1000 + asked,
      ciaddr: "127.0.0.1",
    });
    client.send(req, svc.ports.proxy, "127.0.0.1");
    asked++;
    await new Promise((r) => setTimeout(r, 200));
  }
  const sent = JSON.parse((await flood).stdout) as { sent: number };
  await new Promise((r) => setTimeout(r, 500));

  const counts: Record<string, number> = {};
  for (const v of (await metrics.dhcpPackets.get()).values)
    counts[v.labels.outcome!] = (counts[v.labels.outcome!] ?? 0) + v.value;
  const failures = (await metrics.internalErrors.get()).values.reduce((n, v) => n + v.value, 0);
  assert.ok(sent.sent > 1000, `the flood sent only ${sent.sent}`);
  assert.ok((counts.malformed ?? 0) > 100, `malformed counted: ${JSON.stringify(counts)}`);
  assert.equal(failures, 0, "no exception escaped a datagram");
  const mine = [...acked].filter((x) => x >= 1000 && x < 1000 + asked).length;
  // Served during the flood, not starved. The fraction answered is the benchmark's figure
  // (scripts/bench/hostile): on this 2-core machine one run gave 11 of 15, so a share here
  // would only measure the machine's load; a third still fails if the flood starves it.
  assert.ok(mine * 3 >= asked, `the real client got ${mine} of ${asked} answers`);
});
