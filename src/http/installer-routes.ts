import type { IncomingMessage } from "node:http";
import { parseMac, type Mac } from "../core/mac.js";
import { HttpError, readJson, sendJson } from "../core/http-json.js";
import { renderJobSh } from "../boot/job.js";
import { BOOT_PATHS } from "../boot/urls.js";
import { CallbackRefused, type InstallerDoor } from "../registry/doors.js";
import type { Route } from "../core/router.js";
import type { Metrics } from "../core/metrics.js";
import type { TokenLimiter } from "./token-limiter.js";

const LOG_KEPT = 16 * 1024;

function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1] ?? null;
}

function mac(match: RegExpExecArray): Mac {
  const m = parseMac(match[1] ?? "");
  if (!m) throw new HttpError(404, "not_found", `not a MAC address: ${match[1]}`);
  return m;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function only(body: unknown, allowed: string[]): Record<string, unknown> {
  if (!isObject(body)) throw new HttpError(400, "invalid", "expected a JSON object");
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k))
      throw new HttpError(400, "invalid", `${k}: unknown field (known: ${allowed.join(", ")})`);
  }
  return body;
}

function optString(body: Record<string, unknown>, field: string, max: number): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new HttpError(400, "invalid", `${field}: expected a string`);
  return v.length > max ? v.slice(-max) : v;
}

/** What guards the installer routes besides the token itself. */
export interface InstallerGuard {
  readonly limiter: TokenLimiter;
  readonly metrics: Metrics;
}

/** The installer agent's routes, each behind the machine's current Bearer token. */
export function installerRoutes(door: InstallerDoor, guard: InstallerGuard): Route[] {
  const base = BOOT_PATHS.installs;
  /**
   * The route's session: the MAC's Bearer token checked once, before any body is read, so an
   * unauthenticated client never gets the server to buffer a body for it. A source that keeps
   * sending wrong tokens (or unknown MACs) is told 429 and when to come back, before any
   * check. Refusals reach the router's one error mapping.
   */
  const session = (req: IncomingMessage, match: RegExpExecArray) => {
    const source = req.socket.remoteAddress ?? "unknown";
    const wait = guard.limiter.retryAfter(source);
    if (wait > 0) {
      guard.metrics.installerRefusals.inc({ reason: "limited" });
      throw new HttpError(
        429,
        "too_many_requests",
        `too many refused install tokens from ${source}; try again in ${wait} s`,
        {},
        { "retry-after": String(wait) },
      );
    }
    try {
      return door.session(mac(match), bearer(req));
    } catch (e) {
      if (e instanceof CallbackRefused && e.status !== 409) {
        guard.limiter.refused(source);
        guard.metrics.installerRefusals.inc({ reason: "token" });
      }
      throw e;
    }
  };
  return [
    {
      method: "GET",
      path: new RegExp(`${base}\\/job$`),
      name: "job",
      handle: async (req, res, match) => sendJson(res, 200, await session(req, match).fetchJob()),
    },
    {
      method: "GET",
      path: new RegExp(`${base}\\/job\\.sh$`),
      name: "job",
      handle: async (req, res, match) => {
        const j = await session(req, match).fetchJob();
        const text = renderJobSh({ ...j, hostKey: j.installationHostKey });
        res.writeHead(200, {
          "content-type": "text/x-shellscript",
          "content-length": Buffer.byteLength(text),
          "cache-control": "no-store",
        });
        res.end(text);
      },
    },
    {
      method: "POST",
      path: new RegExp(`${base}\\/events$`),
      name: "events",
      handle: async (req, res, match) => {
        const s = session(req, match);
        const body = only(await readJson(req), ["phase", "message", "progress"]);
        const phase = body.phase;
        if (typeof phase !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(phase))
          throw new HttpError(
            400,
            "invalid",
            "phase: required, a short name of letters, digits, '.', '_' or '-'",
          );
        const progress = body.progress;
        if (
          progress !== undefined &&
          progress !== null &&
          (typeof progress !== "number" || !(progress >= 0 && progress <= 100))
        )
          throw new HttpError(400, "invalid", "progress: expected a number 0..100");
        const message = optString(body, "message", 1000);
        const view = await s.progress({
          phase,
          ...(message !== undefined ? { message } : {}),
          ...(typeof progress === "number" ? { progress: Math.round(progress) } : {}),
        });
        sendJson(res, 200, view);
      },
    },
    {
      method: "POST",
      path: new RegExp(`${base}\\/complete$`),
      name: "complete",
      handle: async (req, res, match) => {
        const s = session(req, match);
        const body = only(await readJson(req), ["hostPublicKey"]);
        const key = optString(body, "hostPublicKey", 16 * 1024);
        sendJson(res, 200, await s.complete(key?.trim() || null));
      },
    },
    {
      method: "POST",
      path: new RegExp(`${base}\\/failed$`),
      name: "failed",
      handle: async (req, res, match) => {
        const s = session(req, match);
        const body = only(await readJson(req, 4 << 20), ["message", "log"]);
        const message = optString(body, "message", 4000);
        if (!message)
          throw new HttpError(400, "invalid", "message: required, a string saying what failed");
        const log = optString(body, "log", LOG_KEPT) ?? null;
        sendJson(res, 200, await s.failed(message, log));
      },
    },
  ];
}
