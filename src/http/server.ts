import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpError, sendError } from "../core/http-json.js";
import type { Service, ServerContext } from "../core/service.js";
import type { Registry } from "../registry/registry.js";
import { bootRoutes } from "./boot-routes.js";
import { installerRoutes } from "./installer-routes.js";
import { findRoute, type Route } from "./router.js";

export interface HttpService extends Service {
  readonly port: number;
  /** `http://ADDR:PORT`, what machines are told to fetch from. */
  readonly baseUrl: string;
  readonly server: Server;
}

/** The LAN HTTP server: scripts, files, installer callbacks, plus `extraRoutes` (status page, metrics). */
export async function startHttpServer(
  ctx: ServerContext,
  registry: Registry,
  extraRoutes: readonly Route[] = [],
): Promise<HttpService> {
  // The base URL names the real port, known only once listening (tests listen on port 0).
  let baseUrl = "";
  const routes: Route[] = [
    ...bootRoutes(ctx, registry, () => baseUrl),
    ...installerRoutes(registry),
    ...extraRoutes,
  ];
  const log = ctx.log.child({ service: "http" });
  const server = createServer((req, res) => {
    const rawPath = (req.url ?? "/").split("?", 1)[0] ?? "/";
    // iPXE percent-encodes the colons of a MAC in a URL path (/nbp/52%3A54%3A.../kernel):
    // routes match the decoded path. No route pattern admits "/" inside a segment.
    let path = rawPath;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      // not valid percent-encoding: match the raw path, which then fails as a 404
    }
    const found = findRoute(routes, req.method ?? "GET", path);
    const name = found && found !== "method" ? found.route.name : "none";
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      ctx.metrics.httpRequests.inc({ route: name, status: String(res.statusCode) });
      log.debug(
        {
          method: req.method,
          path,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          client: req.socket.remoteAddress,
        },
        "request",
      );
    });
    const fail = (e: unknown) => {
      if (e instanceof HttpError) sendError(res, e);
      else if (req.destroyed || res.destroyed) {
        // The client went away (or its body missed the deadline): nothing to answer, and
        // not an error of ours, so it must not flood the error log.
        log.debug({ err: e, path }, "request ended by the client");
        res.destroy();
      } else {
        log.error({ err: e, path }, "request failed");
        sendError(res, new HttpError(500, "internal", "internal error"));
      }
    };
    if (found === null) return fail(new HttpError(404, "not_found", `no route for ${path}`));
    if (found === "method")
      return fail(
        new HttpError(405, "method_not_allowed", `${req.method} is not allowed on ${path}`),
      );
    try {
      const r = found.route.handle(req, res, found.match);
      if (r instanceof Promise) r.catch(fail);
    } catch (e) {
      fail(e);
    }
  });
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
  baseUrl = `http://${ctx.config.address}:${port}`;
  log.info({ port, listen: ctx.config.http.listen }, "LAN HTTP listening");
  return {
    name: "http",
    port,
    baseUrl,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
