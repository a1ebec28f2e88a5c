import type { Metrics } from "../core/metrics.js";
import type { DiscoveredClient, DiscoveryFeed, MachineFeed } from "../registry/doors.js";
import type { MachineView } from "../registry/machine.js";
import type { Route } from "../core/router.js";
import { publicMachine, registerCommand } from "../registry/views.js";
import { STATUS_HTML } from "./status/page.js";

export interface StatusPageOptions {
  /** Counts the bytes sent (landscaper_http_bytes_total, routes "status" and "status-events"). */
  metrics?: Metrics;
  /** Most concurrent `/events` streams; more get 503 (each holds a socket and a subscriber). */
  maxStreams?: number;
  /** Comment lines keep idle streams open through proxies and detect dead peers. */
  heartbeatMs?: number;
  /** A stream whose unsent backlog grows past this is dropped; its browser reconnects. */
  maxBacklogBytes?: number;
  /** Unregistered clients seen: the page's "Seen, not registered" section. */
  discovery?: DiscoveryFeed;
}

/** Rows of "Seen, not registered" a snapshot carries; `machines discovered` lists them all. */
export const DISCOVERED_SHOWN = 50;

/** A discovered client as the page shows it: with the command that registers it. */
function publicDiscovered(c: DiscoveredClient) {
  return { ...c, register: registerCommand(c.mac) };
}

const HTML = Buffer.from(STATUS_HTML, "utf8");

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** `GET /` (the page) and `GET /events` (its live feed) for the LAN HTTP server. */
export function statusPageRoutes(feed: MachineFeed, opts: StatusPageOptions = {}): Route[] {
  const maxStreams = opts.maxStreams ?? 100;
  const heartbeatMs = opts.heartbeatMs ?? 20_000;
  const maxBacklog = opts.maxBacklogBytes ?? 1 << 20;
  // One registry subscription for all streams: each event is rendered and serialised once,
  // then written to every open stream.
  const clients = new Set<(text: string) => void>();
  let unsubscribe: (() => void) | null = null;
  const broadcast = (e: { mac: MachineView["mac"] }) => {
    const m = feed.get(e.mac);
    const text = sse("machine", { mac: e.mac, machine: m ? publicMachine(m) : null });
    for (const send of clients) send(text);
  };
  const discovery = opts.discovery;
  const subscribe = () => {
    const offMachines = feed.subscribe(broadcast);
    // Rate-limited at the source: a flood of new MACs sends a few events a second at most.
    const offDiscovered = discovery?.subscribeDiscovered((e) => {
      const { at, type: _type, ...seen } = e;
      const row = publicDiscovered({ ...seen, firstSeen: at, lastSeen: at, count: 1 });
      const text = sse("discovered", row);
      for (const send of clients) send(text);
    });
    return () => {
      offMachines();
      offDiscovered?.();
    };
  };
  const snapshot = () => {
    const seen = discovery?.discovered() ?? [];
    return sse("snapshot", {
      machines: feed.list().map(publicMachine),
      discovered: seen.slice(0, DISCOVERED_SHOWN).map(publicDiscovered),
      discoveredTotal: seen.length,
    });
  };
  const page: Route = {
    method: "GET",
    path: /^\/(?:index\.html)?$/,
    name: "status",
    handle(_req, res) {
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-length": HTML.length,
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
        "content-security-policy":
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'",
      });
      res.end(HTML);
      opts.metrics?.httpBytes.inc({ route: "status" }, HTML.length);
    },
  };
  const events: Route = {
    method: "GET",
    path: /^\/events$/,
    name: "status-events",
    handle(req, res) {
      if (clients.size >= maxStreams) {
        res.writeHead(503, { "content-type": "text/plain", "retry-after": "10" });
        res.end("too many status page streams\n");
        return;
      }
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      });
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      const send = (text: string) => {
        if (res.writableLength > maxBacklog) {
          res.destroy(); // a stalled reader: it gets a fresh snapshot when it reconnects
          return;
        }
        res.write(text);
        opts.metrics?.httpBytes.inc({ route: "status-events" }, Buffer.byteLength(text));
      };
      // Subscribed before the snapshot: an event in between is resent as a whole machine,
      // so nothing is lost and nothing is applied twice in a way that matters.
      clients.add(send);
      unsubscribe ??= subscribe();
      res.socket?.setNoDelay(true);
      send("retry: 2000\n\n");
      send(snapshot());
      const heartbeat = setInterval(() => send(": ping\n\n"), heartbeatMs);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearInterval(heartbeat);
        clients.delete(send);
        if (clients.size === 0 && unsubscribe) {
          unsubscribe();
          unsubscribe = null;
        }
      };
      req.on("close", finish);
      res.on("close", finish);
    },
  };
  return [page, events];
}
