/**
 * Runs the TFTP server alone, for the benchmark and the network-namespace tests (which
 * start it under `ip netns exec`). Prints `{"port":N}` once listening; every boot step the
 * server reports is printed as `{"step":...}`; on SIGTERM prints `{"stats":...}` and exits.
 * Usage: node dist/scripts/bench/tftp-serve.js ROOT [HOST] [PORT] [THREADS]
 * (THREADS defaults to the config default, `tftp.threads`).
 */
import { pino } from "pino";
import { defaultConfig } from "../../src/config/config.js";
import { createMetrics } from "../../src/core/metrics.js";
import { UNKNOWN } from "../../src/boot/plan.js";
import { NO_URLS } from "../../src/boot/urls.js";
import { startTftpServer } from "../../src/tftp/server/server.js";

const [root, host = "0.0.0.0", port = "0", threads] = process.argv.slice(2);
if (!root) {
  process.stderr.write("usage: tftp-serve ROOT [HOST] [PORT]\n");
  process.exit(2);
}
const config = defaultConfig();
const server = await startTftpServer(
  {
    config: { ...config, ipxe: { ...config.ipxe, dir: root } },
    oracle: {
      bootFor: () => UNKNOWN,
      noteBootStep: (mac, step) =>
        process.stdout.write(`${JSON.stringify({ step: { mac, ...step } })}\n`),
    },
    urls: NO_URLS,
    log: pino({ level: process.env.LANDSCAPER_LOG_LEVEL ?? "silent" }),
    metrics: createMetrics(),
  },
  { root, host, port: Number(port), threads: threads === undefined ? undefined : Number(threads) },
);
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.once("SIGTERM", () => {
  process.stdout.write(`${JSON.stringify({ stats: server.stats() })}\n`);
  void server.close().then(() => process.exit(0));
});
