import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRouter, type Route } from "../core/router.js";
import type { Service, ServiceBase } from "../core/service.js";
import type { LanDoors } from "../registry/doors.js";
import { bootRoutes } from "./boot-routes.js";
import { installerRoutes } from "./installer-routes.js";
import { neighbourTable, ScriptClients, type AddressOwner } from "./script-clients.js";
import { TokenLimiter } from "./token-limiter.js";

export interface HttpService extends Service {
  /** The port actually bound (config `http.port` may be 0 in tests). */
  readonly port: number;
  readonly server: Server;
}

/**
 * The LAN HTTP server: scripts, files, installer callbacks, plus `extraRoutes` (status page,
 * metrics). `addressOwners` go before the neighbour table when deciding which MAC a client
 * is (the DHCP server mode's leases).
 */
export async function startHttpServer(
  ctx: ServiceBase,
  doors: LanDoors,
  extraRoutes: readonly Route[] = [],
  addressOwners: readonly AddressOwner[] = [],
): Promise<HttpService> {
  const clients = new ScriptClients(ctx.config.security.trustedClients, [
    ...addressOwners,
    neighbourTable,
  ]);
  const routes: Route[] = [
    ...bootRoutes(ctx, doors.boot, clients),
    ...installerRoutes(doors.installer, { limiter: new TokenLimiter(), metrics: ctx.metrics }),
    ...extraRoutes,
  ];
  const log = ctx.log.child({ service: "http" });
  const server = createServer(
    createRouter(routes, {
      log,
      service: "http",
      metrics: ctx.metrics,
      decodePath: true,
      onFinish(name, req, res, { path, ms, client }) {
        ctx.metrics.httpRequests.inc({ route: name, status: String(res.statusCode) });
        log.debug(
          {
            method: req.method,
            path,
            status: res.statusCode,
            ms,
            client,
          },
          "request",
        );
      },
    }),
  );
  // Large kernels and initrds go to slow firmware; don't cut them off, but reap idle sockets.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(ctx.config.http.port, ctx.config.http.listen, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port, listen: ctx.config.http.listen }, "LAN HTTP listening");
  return {
    name: "http",
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
