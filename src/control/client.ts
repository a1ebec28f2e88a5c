import { request } from "node:http";

/** An error from the control API, or from failing to reach it. */
export class ControlError extends Error {
  override name = "ControlError";
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string,
    readonly body: unknown = null,
  ) {
    super(message);
  }
}

/** The error for a socket that cannot be connected to: the path, the cause, what to check. */
export function unreachable(socketPath: string, e: NodeJS.ErrnoException): ControlError {
  const hint =
    e.code === "ENOENT" || e.code === "ECONNREFUSED"
      ? `; is \`landscaper serve\` running? (set --socket or LANDSCAPER_SOCKET if it uses another path)`
      : e.code === "EACCES"
        ? "; the caller needs to be in the socket's group (landscaper) or root"
        : "";
  return new ControlError(
    `cannot reach the control socket ${socketPath}: ${e.code ?? e.message}${hint}`,
    null,
    "unreachable",
  );
}

export interface ControlResponse {
  status: number;
  body: unknown;
}

/**
 * One JSON request to the control socket. Non-2xx answers become ControlError with the
 * server's message; an unreachable socket names the path and the likely cause.
 * `okStatuses` lets a caller accept e.g. 408 from `wait` as an answer rather than an error.
 */
export function controlRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
  okStatuses: readonly number[] = [],
): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: payload
          ? { "content-type": "application/json", "content-length": payload.length }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown;
          try {
            parsed = text === "" ? null : JSON.parse(text);
          } catch {
            parsed = text;
          }
          const status = res.statusCode ?? 0;
          if ((status >= 200 && status < 300) || okStatuses.includes(status)) {
            resolve({ status, body: parsed });
            return;
          }
          const err = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
          reject(
            new ControlError(
              err?.message ?? `control API answered ${status}`,
              status,
              err?.code ?? "http_" + String(status),
              parsed,
            ),
          );
        });
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) => reject(unreachable(socketPath, e)));
    if (payload) req.end(payload);
    else req.end();
  });
}
