import type { IncomingMessage, ServerResponse } from "node:http";

/** One LAN HTTP route; the router tries them in order and the first match handles it. */
export interface Route {
  method: "GET" | "HEAD" | "POST";
  path: RegExp;
  /** A short label for metrics and logs (never the raw path, which carries MACs). */
  name: string;
  handle(req: IncomingMessage, res: ServerResponse, match: RegExpExecArray): void | Promise<void>;
}

/** GET routes answer HEAD too (same headers, no body: node:http drops it for HEAD). */
export function findRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; match: RegExpExecArray } | "method" | null {
  let pathMatched = false;
  for (const route of routes) {
    const match = route.path.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (route.method === method || (method === "HEAD" && route.method === "GET"))
      return { route, match };
  }
  return pathMatched ? "method" : null;
}
