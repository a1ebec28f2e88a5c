/**
 * Runs Landscaper's DHCP service in server mode alone, for the namespace tests and the benchmark:
 *   ip netns exec NS node dist/scripts/dhcp/server-node.js JSON
 * JSON: {address, server: <dhcp.server config>, journal: PATH, reservations?: {MAC: IP},
 *        machines?: {MAC: "install"|"local"}, events?: bool}
 * stdout, one JSON object per line: {"ready": {ports, leases: [[mac, ip], ...]}} (the bound
 * leases restored from the journal), {"event": {...}} per lease event when `events`, and
 * on SIGTERM {"counts": {...}, "journal": {syncs, records}} before exiting.
 */
import { startDhcpServer } from "../../src/dhcp/server/server.js";
import { defaultConfig } from "../../src/config/config.js";
import { createMetrics } from "../../src/core/metrics.js";
import { parseServerConfig } from "../../src/dhcpd/config.js";
import { formatIp4, parseIp4, type Ip4 } from "../../src/core/ipv4.js";
import { systemPinger } from "../../src/dhcpd/ping.js";
import { createLogger } from "../../src/core/log.js";
import { parseMac, type Mac } from "../../src/core/mac.js";
import { UNKNOWN, type BootOracle, type BootPlan } from "../../src/boot/plan.js";
import { BootUrls } from "../../src/boot/urls.js";
import { installPlan } from "../../test/support/context.js";

interface Args {
  address: string;
  server: unknown;
  journal: string;
  reservations?: Record<string, string>;
  machines?: Record<string, "install" | "local">;
  events?: boolean;
}

const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const byMac = new Map<Mac, Ip4>();
for (const [m, a] of Object.entries(args.reservations ?? {})) {
  const mac = parseMac(m);
  const ip = parseIp4(a);
  if (!mac || ip === null) throw new Error(`bad reservation ${m} ${a}`);
  byMac.set(mac, ip);
}
const byIp = new Map([...byMac].map(([m, a]) => [a, m]));
const machines = new Map<Mac, "install" | "local">();
for (const [m, k] of Object.entries(args.machines ?? {})) machines.set(parseMac(m)!, k);
const urls = new BootUrls(args.address, 80);
const oracle: BootOracle = {
  bootFor(mac: Mac): BootPlan {
    const kind = machines.get(mac);
    if (kind === "install") return installPlan(mac, urls);
    if (kind === "local") return { kind, mac, script: "local" };
    return UNKNOWN;
  },
  noteBootStep() {},
};
const log = createLogger("dhcpd-node", process.env.LANDSCAPER_LOG_LEVEL ?? "warn");
const config = parseServerConfig(args.server, "dhcp.server", args.address);
const out = (v: unknown) => process.stdout.write(JSON.stringify(v) + "\n");
const base = defaultConfig();
base.address = args.address;
base.ipxe = { ...base.ipxe, efi: "snponly.efi", bios: "undionly.kpxe", arm64: null };
const service = await startDhcpServer(
  { config: base, log, metrics: createMetrics(), oracle, urls },
  {
    lease: {
      config,
      reservations: {
        reservedFor: (m) => byMac.get(m) ?? null,
        reservedBy: (ip) => byIp.get(ip) ?? null,
      },
      journalPath: args.journal,
      pinger: systemPinger({ waitMs: config.pingMs }),
      ...(args.events ? { onEvent: (event: unknown) => out({ event }) } : {}),
    },
  },
);
const lease = service.leases!;
const bound = [...lease.engine.held()]
  .filter((l) => l.state === "bound")
  .map((l) => [l.mac, formatIp4(l.ip)]);
out({ ready: { ports: service.ports, leases: bound } });

process.once("SIGTERM", () => {
  void (async () => {
    await service.close();
    out({ counts: lease.counts(), journal: lease.store.stats });
    process.exit(0);
  })();
});
