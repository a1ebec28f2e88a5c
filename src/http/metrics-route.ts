import type { Route } from "../core/router.js";
import type { Metrics } from "../core/metrics.js";

/**
 * `GET /metrics`: the process's prom-client registry in the Prometheus text format. The
 * registry keeps `landscaper_machines{state}` current itself (on every change).
 */
export function metricsRoute(metrics: Metrics): Route {
  return {
    method: "GET",
    path: /^\/metrics$/,
    name: "metrics",
    async handle(_req, res) {
      const body = Buffer.from(await metrics.registry.metrics(), "utf8");
      res.writeHead(200, {
        "content-type": metrics.registry.contentType,
        "content-length": body.length,
        "cache-control": "no-cache",
      });
      res.end(body);
      metrics.httpBytes.inc({ route: "metrics" }, body.length);
    },
  };
}
