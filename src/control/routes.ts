import { parseMac, type Mac } from "../core/mac.js";
import { HttpError, readJson, sendJson } from "../core/http-json.js";
import { STATES, type MachineState } from "../registry/machine.js";
import type { Route } from "../core/router.js";
import type { ControlDoor } from "../registry/doors.js";
import { parseRegistration } from "../registry/registration.js";
import { POWER_ACTIONS, PowerError, type PowerAction } from "../power/power.js";

/** The longest a single `wait` call holds the connection; callers loop for longer waits. */
export const MAX_WAIT_SECONDS = 3600;

/** What one `/v1/events` stream may have queued before it is dropped. */
const EVENTS_BACKLOG_BYTES = 4 << 20;

function macParam(match: RegExpExecArray): Mac {
  let raw = match[1] ?? "";
  try {
    raw = decodeURIComponent(raw);
  } catch {
    // not valid percent-encoding: parseMac refuses it below, naming the value as sent
  }
  const mac = parseMac(raw);
  if (!mac)
    throw new HttpError(
      400,
      "invalid_mac",
      `not a MAC address: ${JSON.stringify(raw)} (expected aa:bb:cc:dd:ee:ff)`,
    );
  return mac;
}

function notFound(mac: Mac): HttpError {
  return new HttpError(404, "not_found", `machine ${mac} is not registered`);
}

const MAC = "([^/]+)";

/** `{action, pxeOnce?}` of a power request; a 400 naming the field otherwise. */
function parsePowerRequest(body: unknown): { action: PowerAction; pxeOnce: boolean } {
  const o = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const invalid = (field: string, why: string) =>
    new HttpError(400, "invalid", `${field}: ${why}`, { field });
  for (const k of Object.keys(o))
    if (k !== "action" && k !== "pxeOnce")
      throw invalid(k, "unknown field (known: action, pxeOnce)");
  if (!POWER_ACTIONS.includes(o.action as PowerAction))
    throw invalid(
      "action",
      `expected one of ${POWER_ACTIONS.join(", ")}, got ${JSON.stringify(o.action)}`,
    );
  if (o.pxeOnce !== undefined && typeof o.pxeOnce !== "boolean")
    throw invalid("pxeOnce", `expected true or false, got ${JSON.stringify(o.pxeOnce)}`);
  return { action: o.action as PowerAction, pxeOnce: o.pxeOnce === true };
}

export function controlRoutes(registry: ControlDoor): Route[] {
  return [
    {
      method: "GET",
      path: /^\/v1\/health$/,
      name: "health",
      handle: (_q, res) => sendJson(res, 200, { ok: true, machines: registry.list().length }),
    },
    {
      method: "GET",
      path: /^\/v1\/machines$/,
      name: "machines",
      handle: (_q, res) => sendJson(res, 200, { machines: registry.list() }),
    },
    {
      method: "GET",
      path: /^\/v1\/discovered$/,
      name: "discovered",
      handle: (_q, res) => sendJson(res, 200, { discovered: registry.discovered() }),
    },
    {
      method: "GET",
      path: new RegExp(`^/v1/machines/${MAC}$`),
      name: "machine",
      handle: (_q, res, match) => {
        const mac = macParam(match);
        const m = registry.get(mac);
        if (!m) throw notFound(mac);
        sendJson(res, 200, m);
      },
    },
    {
      method: "PUT",
      path: new RegExp(`^/v1/machines/${MAC}$`),
      name: "register",
      handle: async (req, res, match) => {
        const mac = macParam(match);
        // An InvalidRegistration is a Refusal: the router answers 400 naming the field.
        const reg = parseRegistration(await readJson(req));
        const { machine, created } = await registry.upsert(mac, reg);
        sendJson(res, created ? 201 : 200, machine);
      },
    },
    {
      method: "DELETE",
      path: new RegExp(`^/v1/machines/${MAC}$`),
      name: "remove",
      handle: async (_q, res, match) => {
        const mac = macParam(match);
        if (!(await registry.remove(mac))) throw notFound(mac);
        sendJson(res, 200, { removed: mac });
      },
    },
    {
      method: "POST",
      path: new RegExp(`^/v1/machines/${MAC}/rearm$`),
      name: "rearm",
      handle: async (_q, res, match) => {
        const mac = macParam(match);
        const m = await registry.rearm(mac);
        if (!m) throw notFound(mac);
        sendJson(res, 200, m);
      },
    },
    {
      method: "POST",
      path: new RegExp(`^/v1/machines/${MAC}/power$`),
      name: "power",
      handle: async (req, res, match) => {
        const mac = macParam(match);
        const { action, pxeOnce } = parsePowerRequest(await readJson(req));
        const m = registry.get(mac);
        if (!m) throw notFound(mac);
        if (!m.bmc)
          throw new HttpError(
            409,
            "no_bmc",
            `machine ${mac} has no BMC: register it with a bmc to drive its power`,
          );
        try {
          const out = await registry.power(mac, action, { pxeOnce });
          if (!out) throw notFound(mac);
          sendJson(res, 200, out);
        } catch (e) {
          // The BMC did not do it: a bad gateway, with the failure's kind for scripts.
          if (e instanceof PowerError)
            throw new HttpError(502, "power_failed", e.message, { kind: e.kind, sent: e.sent });
          throw e;
        }
      },
    },
    {
      method: "GET",
      path: new RegExp(`^/v1/machines/${MAC}/wait$`),
      name: "wait",
      handle: async (req, res, match, query) => {
        const mac = macParam(match);
        const state = (query.get("state") ?? "installed") as MachineState;
        if (!STATES.includes(state))
          throw new HttpError(
            400,
            "invalid",
            `state: expected one of ${STATES.join(", ")}, got ${JSON.stringify(state)}`,
          );
        const timeoutRaw = query.get("timeout") ?? "60";
        const timeout = Number(timeoutRaw);
        if (!Number.isFinite(timeout) || timeout < 0 || timeout > MAX_WAIT_SECONDS)
          throw new HttpError(
            400,
            "invalid",
            `timeout: expected seconds 0..${MAX_WAIT_SECONDS}, got ${JSON.stringify(timeoutRaw)}`,
          );
        if (!registry.get(mac)) throw notFound(mac);
        const abort = new AbortController();
        res.on("close", () => abort.abort());
        const r = await registry.waitFor(mac, state, timeout * 1000, abort.signal);
        if (res.destroyed) return;
        if (!r.machine)
          throw new HttpError(404, "not_found", `machine ${mac} was removed while waiting`);
        if (r.reached) sendJson(res, 200, r.machine);
        else
          throw new HttpError(
            408,
            "timeout",
            `machine ${mac} did not reach ${state} within ${timeout} s (it is ${r.machine.state})`,
            {
              machine: r.machine,
            },
          );
      },
    },
    {
      method: "GET",
      path: /^\/v1\/events$/,
      name: "events",
      handle: (req, res, _m, query) => {
        const filterRaw = query.get("mac");
        const filter = filterRaw === null ? null : parseMac(filterRaw);
        if (filterRaw !== null && !filter)
          throw new HttpError(
            400,
            "invalid_mac",
            `mac: not a MAC address: ${JSON.stringify(filterRaw)}`,
          );
        res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
        res.flushHeaders();
        const send = (e: { mac: Mac }) => {
          if (filter && e.mac !== filter) return;
          // A consumer that stopped reading (a suspended `watch`) is cut off rather than
          // buffered without bound; it reconnects and re-reads /v1/machines.
          if (res.writableLength > EVENTS_BACKLOG_BYTES) {
            res.destroy();
            return;
          }
          res.write(JSON.stringify(e) + "\n");
        };
        const unsubscribe = registry.subscribe(send);
        // Unregistered clients seen for the first time, beside the machines' events.
        const unsubscribeDiscovered = registry.subscribeDiscovered(send);
        // A comment-free keepalive: an empty line every 15 s lets clients notice a dead peer.
        const keepalive = setInterval(() => res.write("\n"), 15_000);
        res.on("close", () => {
          clearInterval(keepalive);
          unsubscribe();
          unsubscribeDiscovered();
        });
      },
    },
  ];
}
