/**
 * The one router of both HTTP servers (the LAN server and the control socket): routes tried
 * in order, 404 and 405 told apart, and one error mapping, so both answer a bad request with
 * the same `{"error": {"code", "message"}}` body.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { asHttpError, HttpError, sendError } from "./http-json.js";
import type { Logger } from "./log.js";
import type { Metrics } from "./metrics.js";

export interface Route {
  method: "GET" | "HEAD" | "POST" | "PUT" | "DELETE";
  path: RegExp;
  /** A short label for metrics and logs (never the raw path, which carries MACs). */
  name: string;
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    match: RegExpExecArray,
    query: URLSearchParams,
  ): void | Promise<void>;
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

export interface RouterOptions {
  readonly log: Logger;
  /** Which server this is: the label of `landscaper_internal_errors_total`. */
  readonly service: string;
  readonly metrics: Metrics;
  /**
   * Match the percent-decoded path: iPXE encodes the colons of a MAC in a URL path
   * (/nbp/52%3A54%3A.../kernel). No route pattern admits "/" inside a segment.
   */
  readonly decodePath?: boolean;
  /** Called once per request when the response has been sent (metrics, request log). */
  onFinish?(
    this: void,
    route: string,
    req: IncomingMessage,
    res: ServerResponse,
    info: { path: string; ms: number; client: string | undefined },
  ): void;
}

/**
 * A request listener for `routes`. It is the boundary of one request: nothing a client sends,
 * and no bug met while answering it, escapes to end the process. An exception that is not a
 * refusal is answered 500 (or the connection cut, when the headers are already out), logged
 * once with its stack and counted; every other request carries on.
 */
export function createRouter(routes: readonly Route[], opts: RouterOptions): RequestListener {
  const { log } = opts;
  const internal = (err: unknown, path: string, what: string) => {
    opts.metrics.internalErrors.inc({ service: opts.service });
    log.error({ err, path }, what);
  };
  return (req, res) => {
    // Taken now: once a response has gone out the socket may be detached (after a 413 the
    // server drops the connection), and reading it then threw and ended the process.
    const client = req.socket.remoteAddress;
    // Split by hand: `new URL` throws on paths such as `//`, and nothing here may throw.
    const [rawPath = "/", search = ""] = (req.url ?? "/").split("?", 2);
    let path = rawPath;
    if (opts.decodePath) {
      try {
        path = decodeURIComponent(rawPath);
      } catch {
        // not valid percent-encoding: match the raw path, which then fails as a 404
      }
    }
    const method = req.method ?? "GET";
    const found = findRoute(routes, method, path);
    const onFinish = opts.onFinish;
    if (onFinish) {
      const name = found && found !== "method" ? found.route.name : "none";
      const started = process.hrtime.bigint();
      res.on("finish", () => {
        // An exception thrown by an event listener would be uncaught: keep it here.
        try {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          onFinish(name, req, res, { path, ms, client });
        } catch (e) {
          internal(e, path, "request log failed");
        }
      });
    }
    const fail = (e: unknown) => {
      const known = asHttpError(e);
      if (known) sendError(res, known);
      else if (req.destroyed || res.destroyed) {
        // The client went away (or its body missed the deadline): nothing to answer, and
        // not an error of ours, so it must not flood the error log.
        log.debug({ err: e, path }, "request ended by the client");
        res.destroy();
      } else {
        internal(e, path, "request failed");
        sendError(res, new HttpError(500, "internal", "internal error"));
      }
    };
    const failSafely = (e: unknown) => {
      try {
        fail(e);
      } catch (again) {
        internal(again, path, "error response failed");
        res.destroy();
      }
    };
    if (found === null)
      return failSafely(new HttpError(404, "not_found", `no route for ${method} ${path}`));
    if (found === "method")
      return failSafely(
        new HttpError(405, "method_not_allowed", `${method} is not allowed on ${path}`),
      );
    try {
      const r = found.route.handle(req, res, found.match, new URLSearchParams(search));
      if (r instanceof Promise) r.catch(failSafely);
    } catch (e) {
      failSafely(e);
    }
  };
}
