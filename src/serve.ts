import { join } from "node:path";
import { dhcpServerOf, type Config } from "./config/config.js";
import type { Logger } from "./core/log.js";
import { servedFileRoots } from "./core/files.js";
import { createMetrics, type Metrics } from "./core/metrics.js";
import type { Service, ServerContext } from "./core/service.js";
import { startControlServer } from "./control/server.js";
import { startHttpServer } from "./http/server.js";
import { metricsRoute } from "./http/metrics-route.js";
import { statusPageRoutes } from "./http/status-page.js";
import { startMdns } from "./mdns/advertise.js";
import { startDhcpServer, type DhcpService } from "./dhcp/server/server.js";
import type { LeaseEvent, LeaseOptions } from "./dhcp/server/lease-runner.js";
import { refuseOtherServers } from "./dhcpd/guard.js";
import { systemPinger } from "./dhcpd/ping.js";
import type { AddressOwner } from "./http/script-clients.js";
import type { ServerConfig } from "./dhcpd/config.js";
import { startTftpServer } from "./tftp/server/server.js";
import { Registry } from "./registry/registry.js";
import { BootUrls } from "./boot/urls.js";
import type { BootStep } from "./boot/plan.js";
import { Power } from "./power/power.js";

export interface Appliance {
  readonly registry: Registry;
  readonly metrics: Metrics;
  readonly config: Config;
  readonly httpPort: number;
  close(): Promise<void>;
}

/**
 * Starts every service on one event loop. First the checks that stop a start: the config
 * across keys, and in DHCP server mode another DHCP server on the LAN; then the registry
 * loads (a corrupt state file stops the start), then the servers. On failure everything
 * started so far is closed.
 */
export async function startAppliance(config: Config, log: Logger): Promise<Appliance> {
  const metrics = createMetrics();
  const registry = new Registry({
    stateDir: config.stateDir,
    afterInstall: config.afterInstall,
    answerUnknown: config.dhcp.answerUnknown,
    onInstalled: config.hooks.onInstalled,
    files: servedFileRoots(config),
    log: log.child({ service: "registry" }),
    metrics,
    power: new Power({ ipmitool: config.power.ipmitool, callTimeoutMs: config.power.timeoutMs }),
  });
  const leaseConfig = config.dhcp.enable ? dhcpServerOf(config) : null;
  // Before anything listens (the control socket says "up" to whoever waits on it): a second
  // DHCP server on the LAN stops the start, unless forced.
  if (leaseConfig) {
    const { others, unchecked } = await refuseOtherServers(
      config.address,
      leaseConfig.allowOtherServers,
    );
    if (others.length > 0)
      log.warn({ others }, "another DHCP server answers here; starting anyway (forced)");
    if (unchecked)
      log.warn(
        { why: unchecked },
        "could not look for another DHCP server; starting anyway (forced)",
      );
  }
  await registry.load();
  const base = { config, log, metrics };
  const services: Service[] = [];
  const closeAll = async () => {
    for (const s of services.reverse()) {
      await s.close().catch((err: unknown) => log.error({ err, service: s.name }, "close failed"));
    }
    await registry.close();
  };
  let urls: BootUrls;
  // Server mode's leases say which MAC an address is (issue 13: who may have a script);
  // the DHCP service starts after the HTTP server, so the lookup goes through this slot.
  let dhcp: DhcpService | null = null;
  const leaseOwner: AddressOwner = (ip) => Promise.resolve(dhcp?.leases?.ownerOf(ip) ?? null);
  try {
    const http = await startHttpServer(
      base,
      { boot: registry, installer: registry },
      [...statusPageRoutes(registry, { metrics, discovery: registry }), metricsRoute(metrics)],
      [leaseOwner],
    );
    services.push(http);
    // With `http.port: 0` (tests), every URL must name the port actually bound: the servers
    // started after this point, and the registry's boot URLs, all take them from here.
    urls = new BootUrls(config.address, http.port);
    registry.useUrls(urls);
    const ctx: ServerContext = { ...base, oracle: registry, urls };
    services.push(
      await startControlServer(
        config.control.socket,
        config.control.mode,
        registry,
        log.child({ service: "control" }),
        metrics,
      ),
    );
    if (config.tftp.enable) services.push(await startTftpServer(ctx));
    if (config.dhcp.enable) {
      dhcp = await startDhcpServer(ctx, {
        ...(leaseConfig ? { lease: leaseOptions(config, leaseConfig, registry, log) } : {}),
        sightings: registry,
      });
      services.push(dhcp);
      const engine = dhcp.leases?.engine;
      if (engine) {
        // A registration change may free or claim a reserved address: every machine event
        // re-checks the (usually empty) list of pool addresses parked for a reservation.
        const off = registry.subscribe(() => engine.refreshReservations());
        services.push({ name: "reservations", close: () => Promise.resolve(off()) });
      }
    }
    // Last: only advertise once everything it points at answers.
    if (config.mdns.enable) services.push(await startMdns(ctx));
  } catch (e) {
    await closeAll();
    throw e;
  }
  log.info(
    { address: config.address, http: urls.port, machines: registry.list().length },
    "landscaper serving",
  );
  return { registry, metrics, config, httpPort: urls.port, close: closeAll };
}

type NotedLease = Extract<BootStep, { type: "dhcp-lease" }>["lease"];
const NOTED: ReadonlySet<string> = new Set<NotedLease>(["ack", "released", "declined", "in use"]);
/** A lease change worth a line in the machine's history (offers, NAKs, INFORMs are not). */
const noted = (type: LeaseEvent["type"]): type is NotedLease => NOTED.has(type);

/** Server mode's settings: journal beside the registry, events into the machine history. */
function leaseOptions(
  config: Config,
  server: ServerConfig,
  registry: Registry,
  log: Logger,
): LeaseOptions {
  return {
    config: server,
    // The registry's `ipv4` fields: a reserved MAC always gets its address.
    reservations: registry,
    journalPath: join(config.stateDir, "dhcp-leases.jsonl"),
    pinger: systemPinger({
      waitMs: server.pingMs,
      onUnchecked: (ip, why) => log.warn({ ip, why }, "pool address offered without a ping check"),
    }),
    onEvent: (e) => {
      if (noted(e.type) && e.ip !== null)
        registry.noteBootStep(e.mac, {
          type: "dhcp-lease",
          lease: e.type,
          ip: e.ip,
          ...(e.expiresAt === null ? {} : { until: new Date(e.expiresAt).toISOString() }),
        });
    },
  };
}
