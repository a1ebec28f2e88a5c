import type { Config } from "./config/config.js";
import type { Logger } from "./core/log.js";
import { servedFileRoots } from "./core/files.js";
import { createMetrics, type Metrics } from "./core/metrics.js";
import type { Service, ServerContext } from "./core/service.js";
import { startControlServer } from "./control/server.js";
import { startHttpServer } from "./http/server.js";
import { metricsRoute } from "./http/metrics-route.js";
import { statusPageRoutes } from "./http/status-page.js";
import { startMdns } from "./mdns/advertise.js";
import { startDhcpServer } from "./dhcp/server/server.js";
import { startTftpServer } from "./tftp/server/server.js";
import { Registry } from "./registry/registry.js";
import { BootUrls } from "./boot/urls.js";
import { Power } from "./power/power.js";

export interface Appliance {
  readonly registry: Registry;
  readonly metrics: Metrics;
  readonly config: Config;
  readonly httpPort: number;
  close(): Promise<void>;
}

/**
 * Starts every service on one event loop. The registry loads first (a corrupt state file
 * stops the start), then the servers; on failure everything started so far is closed.
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
  try {
    const http = await startHttpServer(base, { boot: registry, installer: registry }, [
      ...statusPageRoutes(registry, { metrics, discovery: registry }),
      metricsRoute(metrics),
    ]);
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
    if (config.dhcp.enable) services.push(await startDhcpServer(ctx, { sightings: registry }));
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
