import { request, type IncomingMessage } from "node:http";
import { ControlError, controlRequest, unreachable } from "../control/client.js";
import type { Mac } from "../core/mac.js";
import { resolveMachine, socketOf } from "./client.js";
import { flag, stringOption } from "./parse.js";
import { EXIT, type Call } from "./spec.js";
import {
  applyEvent,
  changeLine,
  discoveredLine,
  fromApi,
  seenFooter,
  sortMachines,
  table,
  type WatchEvent,
  type WatchedMachine,
} from "./watch-view.js";
import type { WatchSource } from "../registry/views.js";

/** Clients seen but not registered that the terminal table shows under it. */
const SEEN_SHOWN = 5;

interface Options {
  socket: string;
  mac: Mac | null;
  lines: boolean;
  untilDone: boolean;
}

async function options(call: Call): Promise<Options> {
  const socket = socketOf(call);
  const machine = stringOption(call, "mac");
  return {
    socket,
    mac: machine === undefined ? null : (await resolveMachine(socket, machine)).mac,
    lines: flag(call, "lines"),
    untilDone: flag(call, "until-done"),
  };
}

/** Open `GET /v1/events`; resolves with the response once the stream has started. */
function openEvents(socket: string, mac: string | null): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const path = "/v1/events" + (mac ? `?mac=${encodeURIComponent(mac)}` : "");
    const req = request({ socketPath: socket, path, method: "GET" }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(
          new ControlError(`GET ${path} answered ${res.statusCode}`, res.statusCode ?? 0, "http"),
        );
        return;
      }
      resolve(res);
    });
    req.on("error", (e: NodeJS.ErrnoException) => reject(unreachable(socket, e)));
    req.end();
  });
}

function listOf(body: unknown): WatchSource[] {
  if (Array.isArray(body)) return body as WatchSource[];
  const m = (body as { machines?: unknown } | null)?.machines;
  return Array.isArray(m) ? (m as WatchSource[]) : [];
}

export async function run(call: Call): Promise<number> {
  const opts = await options(call);
  const out = process.stdout;
  const tty = out.isTTY === true && !opts.lines;
  const machines = new Map<string, WatchedMachine>();
  const printed = new Map<string, string>();
  /** The last few `discovered` lines, for the table's footer. */
  const seen: string[] = [];
  let status = "connecting";
  let redrawTimer: NodeJS.Timeout | null = null;
  let stopping = false;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((r) => (finish = r));
  let current: IncomingMessage | null = null;
  const connect: { error: Error | null } = { error: null };

  const draw = () => {
    redrawTimer = null;
    const columns = out.columns || 120;
    out.write(
      "\x1b[H" +
        table(sortMachines(machines.values()), columns, status) +
        seenFooter(seen, columns) +
        "\x1b[J",
    );
  };
  const changed = (mac: string | null) => {
    if (tty) {
      redrawTimer ??= setTimeout(draw, 100); // coalesce bursts to ten redraws a second
    } else {
      for (const m of mac === null ? sortMachines(machines.values()) : [machines.get(mac)]) {
        if (!m) continue;
        const line = changeLine(m);
        if (printed.get(m.mac) !== line) out.write(line + "\n");
        printed.set(m.mac, line);
      }
    }
    if (opts.untilDone && machines.size > 0) {
      const all = [...machines.values()];
      if (all.every((m) => m.state === "installed" || m.state === "failed"))
        stop(all.some((m) => m.state === "failed") ? 1 : 0);
    }
  };
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    if (redrawTimer) {
      clearTimeout(redrawTimer);
      draw();
    }
    current?.destroy();
    finish(code);
  };
  const onSignal = () => stop(0);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const onResize = () => changed(null);
  if (tty) {
    out.write("\x1b[?1049h\x1b[?25l"); // alternate screen, cursor hidden
    out.on("resize", onResize);
  }

  /** One connection: stream first (buffering), then the list, then the buffered events. */
  const session = async (): Promise<void> => {
    const stream = await openEvents(opts.socket, opts.mac);
    current = stream;
    let pending: WatchEvent[] | null = [];
    let chain = Promise.resolve();
    const handle = async (e: WatchEvent) => {
      if (opts.mac && e.mac !== opts.mac) return;
      if (e.type === "discovered") {
        const line = discoveredLine(e);
        if (!tty) out.write(line + "\n");
        seen.push(line);
        if (seen.length > SEEN_SHOWN) seen.shift();
        if (tty) changed(null);
        return;
      }
      if (e.type === "removed") {
        machines.delete(e.mac);
        printed.delete(e.mac);
        if (!tty) out.write(`${e.at.slice(11, 19)} ${e.mac} removed\n`);
        changed(null);
        return;
      }
      let m = machines.get(e.mac);
      if (!m || e.type === "registered" || e.type === "updated" || e.type === "rearmed") {
        // the event does not carry the hostname; ask for the machine once
        try {
          const r = await controlRequest(opts.socket, "GET", `/v1/machines/${e.mac}`);
          m = fromApi(r.body as WatchSource);
        } catch {
          m ??= fromApi({
            mac: e.mac,
            hostname: null,
            state: e.state,
            generation: e.generation,
            phase: null,
            progress: null,
            failure: null,
            updatedAt: e.at,
          });
        }
      }
      machines.set(e.mac, applyEvent(m, e));
      // the "complete"/"failed" event right after says it better than this state change
      if (e.type === "state" && (e.state === "installed" || e.state === "failed")) return;
      changed(e.mac);
    };
    let buffer = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line === "") continue;
        let e: WatchEvent;
        try {
          e = JSON.parse(line) as WatchEvent;
        } catch {
          continue;
        }
        if (pending) pending.push(e);
        else chain = chain.then(() => handle(e));
      }
    });
    const ended = new Promise<void>((resolve) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", () => resolve());
    });
    const path = opts.mac ? `/v1/machines/${opts.mac}` : "/v1/machines";
    const r = await controlRequest(opts.socket, "GET", path, undefined, [404]);
    machines.clear();
    for (const m of r.status === 404 ? [] : opts.mac ? [r.body as WatchSource] : listOf(r.body))
      machines.set(m.mac, fromApi(m));
    status = "live";
    changed(null);
    const early = pending;
    pending = null;
    for (const e of early) chain = chain.then(() => handle(e));
    await ended;
    await chain;
  };

  void (async () => {
    let connectedOnce = false;
    for (let attempt = 0; !stopping; attempt++) {
      try {
        await session();
        connectedOnce = true;
        attempt = 0;
      } catch (e) {
        if (!connectedOnce) {
          connect.error = e as Error;
          stop(EXIT.failed);
          return;
        }
      }
      if (stopping) break;
      status = "reconnecting";
      if (tty) changed(null);
      else process.stderr.write("landscaper watch: event stream ended; reconnecting\n");
      await new Promise((r) => setTimeout(r, Math.min(5000, 500 * 2 ** attempt)));
    }
  })();

  const code = await finished;
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (tty) {
    out.off("resize", onResize);
    out.write("\x1b[?25h\x1b[?1049l");
    // leave the last picture on the normal screen
    if (connect.error === null)
      out.write(table(sortMachines(machines.values()), out.columns || 120, "stopped"));
  }
  if (connect.error === null) return code;
  // the same message and exit code as every other command's failure
  throw connect.error;
}
