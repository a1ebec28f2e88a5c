/**
 * Runs Landscaper's proxyDHCP alone with a fixed table of machines, for the namespace
 * tests and the benchmark (`ip netns exec NS node dist/scripts/dhcp/proxy-node.js JSON`).
 * stdout, one JSON object per line: {"ready": {ports}}, {"step": {...}} per answer,
 * and on SIGTERM {"packets": {...}} (the dhcpPackets counter) before exiting.
 */
import { startDhcpServer } from "../../src/dhcp/server/server.js";
import { defaultConfig } from "../../src/config/config.js";
import { createMetrics } from "../../src/core/metrics.js";
import { createLogger } from "../../src/core/log.js";
import { parseMac, type Mac } from "../../src/core/mac.js";
import { UNKNOWN, type BootOracle, type BootPlan } from "../../src/boot/plan.js";
import { BootUrls } from "../../src/boot/urls.js";

interface Args {
  address: string;
  httpPort?: number;
  dhcpPort?: number;
  proxyPort?: number;
  /** MAC -> "install" | "local"; others are unknown. */
  machines: Record<string, "install" | "local">;
  /** Also register `count` MACs counting up from `base` (benchmarks). */
  machineRange?: { base: string; count: number };
  /** Print each boot step (off in benchmarks). */
  steps?: boolean;
}

const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const table = new Map<Mac, "install" | "local">();
for (const [m, kind] of Object.entries(args.machines)) {
  const mac = parseMac(m);
  if (!mac) throw new Error(`bad MAC ${m}`);
  table.set(mac, kind);
}
if (args.machineRange) {
  const base = BigInt("0x" + args.machineRange.base.replace(/:/g, ""));
  for (let i = 0; i < Math.min(args.machineRange.count, 1 << 20); i++) {
    const mac = parseMac((base + BigInt(i)).toString(16).padStart(12, "0"));
    if (mac) table.set(mac, "install");
  }
}
const config = defaultConfig();
config.address = args.address;
config.http.port = args.httpPort ?? 80;
config.dhcp.port = args.dhcpPort ?? 67;
config.dhcp.proxyPort = args.proxyPort ?? 4011;
const urls = new BootUrls(config.address, config.http.port);
const oracle: BootOracle = {
  bootFor(mac: Mac): BootPlan {
    const kind = table.get(mac);
    if (kind === "install")
      return {
        kind,
        mac,
        generation: 1,
        script: "install",
        // DHCP reads only the kind; the spec is there because the type asks for it.
        spec: {
          kernel: "",
          initrd: "",
          kernelUrl: urls.nbp(mac, "kernel"),
          initrdUrl: urls.nbp(mac, "initrd"),
          cmdline: "",
        },
      };
    if (kind === "local") return { kind, mac, script: "local" };
    return UNKNOWN;
  },
  noteBootStep(mac, step) {
    if (args.steps !== false && table.has(mac))
      process.stdout.write(JSON.stringify({ step: { mac, ...step } }) + "\n");
  },
};
const metrics = createMetrics();
const service = await startDhcpServer({
  config,
  oracle,
  urls,
  log: createLogger("dhcp-node", process.env.LANDSCAPER_LOG_LEVEL ?? "warn"),
  metrics,
});
process.stdout.write(JSON.stringify({ ready: { ports: service.ports } }) + "\n");

process.once("SIGTERM", () => {
  void (async () => {
    const m = await metrics.dhcpPackets.get();
    const packets: Record<string, number> = {};
    for (const v of m.values) packets[`${v.labels.outcome}/${v.labels.client}`] = v.value;
    process.stdout.write(JSON.stringify({ packets }) + "\n");
    await service.close();
    process.exit(0);
  })();
});
