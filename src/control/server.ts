import { createServer, type Server } from "node:http";
import { chmod, mkdir, unlink } from "node:fs/promises";
import { connect } from "node:net";
import { dirname } from "node:path";
import { HttpError, sendError } from "../core/http-json.js";
import type { Logger } from "../core/log.js";
import type { Service } from "../core/service.js";
import type { Registry } from "../registry/registry.js";
import { controlRoutes } from "./routes.js";

/** True when something accepts connections on the socket path (another serve is running). */
function socketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** The control API on a Unix socket: HTTP/1.1 + JSON for the CLI and the NixOps4 provider. */
export async function startControlServer(
  socketPath: string,
  mode: string,
  registry: Registry,
  log: Logger,
): Promise<Service & { server: Server }> {
  const routes = controlRoutes(registry);
  const server = createServer((req, res) => {
    // Split by hand: `new URL` throws on paths such as `//`, and nothing here may throw.
    const [pathname = "/", search = ""] = (req.url ?? "/").split("?", 2);
    const url = { pathname, searchParams: new URLSearchParams(search) };
    const fail = (e: unknown) => {
      if (e instanceof HttpError) sendError(res, e);
      else {
        log.error({ err: e, path: url.pathname }, "control request failed");
        sendError(res, new HttpError(500, "internal", `internal error: ${(e as Error).message}`));
      }
    };
    let pathMatched = false;
    for (const r of routes) {
      const match = r.path.exec(url.pathname);
      if (!match) continue;
      pathMatched = true;
      if (r.method !== req.method) continue;
      try {
        const p = r.handle(req, res, match, url.searchParams);
        if (p instanceof Promise) p.catch(fail);
      } catch (e) {
        fail(e);
      }
      return;
    }
    fail(
      pathMatched
        ? new HttpError(
            405,
            "method_not_allowed",
            `${req.method} is not allowed on ${url.pathname}`,
          )
        : new HttpError(404, "not_found", `no route for ${req.method} ${url.pathname}`),
    );
  });
  server.requestTimeout = 0; // `wait` and `events` hold their connections by design
  await mkdir(dirname(socketPath), { recursive: true });
  if (await socketAlive(socketPath)) {
    throw new Error(
      `control socket ${socketPath} is in use: is another \`landscaper serve\` running?`,
    );
  }
  await unlink(socketPath).catch(() => undefined); // a stale socket left by a crash
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await chmod(socketPath, parseInt(mode, 8));
  log.info({ socket: socketPath, mode }, "control socket listening");
  return {
    name: "control",
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
