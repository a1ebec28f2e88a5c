import { createServer, type Server } from "node:http";
import { chmod, mkdir, unlink } from "node:fs/promises";
import { connect } from "node:net";
import { dirname } from "node:path";
import { createRouter } from "../core/router.js";
import type { Logger } from "../core/log.js";
import type { Metrics } from "../core/metrics.js";
import type { Service } from "../core/service.js";
import type { ControlDoor } from "../registry/doors.js";
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
  registry: ControlDoor,
  log: Logger,
  metrics: Metrics,
): Promise<Service & { server: Server }> {
  const server = createServer(
    createRouter(controlRoutes(registry), { log, service: "control", metrics }),
  );
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
