import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRouter, type Route } from "../core/router.js";
import type { Service, ServiceBase } from "../core/service.js";
import type { LanDoors } from "../registry/doors.js";
import { bootRoutes } from "./boot-routes.js";
import { installerRoutes } from "./installer-routes.js";

export interface HttpService extends Service {
  /** The port actually bound (config `http.port` may be 0 in tests). */
  readonly port: number;
  readonly server: Server;
}

/** The LAN HTTP server: scripts, files, installer callbacks, plus `extraRoutes` (status page, metrics). */
export async function startHttpServer(
  ctx: ServiceBase,
  doors: LanDoors,
  extraRoutes: readonly Route[] = [],
): Promise<HttpService> {
  const routes: Route[] = [
    ...bootRoutes(ctx, doors.boot),
    ...installerRoutes(doors.installer),
    ...extraRoutes,
  ];
  const log = ctx.log.child({ service: "http" });
  const server = createServer(
    createRouter(routes, {
      log,
      decodePath: true,
      onFinish(name, req, res, { path, ms }) {
        ctx.metrics.httpRequests.inc({ route: name, status: String(res.statusCode) });
        log.debug(
          {
            method: req.method,
            path,
            status: res.statusCode,
            ms,
            client: req.socket.remoteAddress,
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
