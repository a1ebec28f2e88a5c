/**
 * Discovery's memory: the network-boot clients the DHCP server saw (in either mode) whose
 * MAC nobody registered, for `machines discovered`, `GET /v1/discovered`, the status page
 * and `/v1/events`. Owned by the registry, which calls it only for unregistered MACs and
 * has a client forgotten when it is registered. In memory only: a restart forgets it, and
 * the clients, which retry every few seconds while they wait for an answer, are seen again.
 *
 * `sighted` runs once per DHCP packet, and a hostile LAN sends floods of random MACs
 * (issue 13), so it is O(1) and the memory is bounded: at most `kept` clients, the one seen
 * longest ago dropped to make room. A Map iterates in insertion order, so re-inserting a
 * client seen again keeps it in last-seen order with no list of its own. An event goes out
 * only when a client is new to the list, and at most `eventsPerSecond` of those (a token
 * bucket holding as many); the rest are counted, never queued.
 */
import type { Mac } from "../core/mac.js";
import type { Metrics } from "../core/metrics.js";
import type { DiscoveredClient, DiscoveryEvent, Sighting, SightingSink } from "./doors.js";

/** Clients remembered at most (about 200 bytes each). */
export const DISCOVERED_KEPT = 1000;
/** `discovered` events per second at most, and the burst allowed after a quiet time. */
export const DISCOVERY_EVENTS_PER_SECOND = 5;
/** Option 60 is kept to this many characters (RFC 3396 lets a client send kilobytes). */
export const VENDOR_CLASS_KEPT = 255;

export interface SightingsOptions {
  readonly metrics: Metrics;
  readonly kept?: number;
  readonly eventsPerSecond?: number;
  /** Milliseconds since the epoch (tests move time by hand). */
  readonly clock?: () => number;
}

/** One remembered client; changed in place when seen again (no allocation per packet). */
interface Entry {
  readonly mac: Mac;
  kind: Sighting["kind"];
  arch: number | null;
  vendorClass: string | null;
  readonly firstSeen: number;
  lastSeen: number;
  count: number;
}

export class Sightings implements SightingSink {
  /** Insertion order is last-seen order: the first key is the client seen longest ago. */
  private readonly byMac = new Map<Mac, Entry>();
  private readonly listeners = new Set<(e: DiscoveryEvent) => void>();
  private readonly kept: number;
  private readonly rate: number;
  private readonly clock: () => number;
  private tokens: number;
  private refilledAt: number;
  private readonly counts: {
    readonly sent: { inc(): void };
    readonly limited: { inc(): void };
    readonly full: { inc(): void };
    readonly registered: { inc(): void };
    readonly size: { set(n: number): void };
  };

  constructor(opts: SightingsOptions) {
    this.kept = opts.kept ?? DISCOVERED_KEPT;
    this.rate = opts.eventsPerSecond ?? DISCOVERY_EVENTS_PER_SECOND;
    this.clock = opts.clock ?? Date.now;
    this.tokens = this.rate;
    this.refilledAt = this.clock();
    const m = opts.metrics;
    // Labelled children looked up once: a flood of new MACs touches them per packet.
    this.counts = {
      sent: m.discovered.labels({ event: "sent" }),
      limited: m.discovered.labels({ event: "rate_limited" }),
      full: m.discoveredForgotten.labels({ reason: "full" }),
      registered: m.discoveredForgotten.labels({ reason: "registered" }),
      size: m.discoveredClients,
    };
    this.counts.size.set(0);
  }

  get size(): number {
    return this.byMac.size;
  }

  sighted(s: Sighting): void {
    const now = this.clock();
    const vendorClass = s.vendorClass?.slice(0, VENDOR_CLASS_KEPT) ?? null;
    const known = this.byMac.get(s.mac);
    if (known) {
      known.kind = s.kind;
      known.arch = s.arch;
      known.vendorClass = vendorClass;
      known.lastSeen = now;
      known.count++;
      this.byMac.delete(s.mac);
      this.byMac.set(s.mac, known);
      return;
    }
    if (this.byMac.size >= this.kept) {
      const oldest = this.byMac.keys().next().value as Mac;
      this.byMac.delete(oldest);
      this.counts.full.inc();
    }
    this.byMac.set(s.mac, {
      mac: s.mac,
      kind: s.kind,
      arch: s.arch,
      vendorClass,
      firstSeen: now,
      lastSeen: now,
      count: 1,
    });
    this.counts.size.set(this.byMac.size);
    if (!this.takeToken(now)) {
      this.counts.limited.inc();
      return;
    }
    this.counts.sent.inc();
    const e: DiscoveryEvent = {
      at: new Date(now).toISOString(),
      type: "discovered",
      mac: s.mac,
      kind: s.kind,
      arch: s.arch,
      vendorClass,
    };
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch {
        // a subscriber's failure is its own (a closed stream); the others still get it
      }
    }
  }

  /** The MAC was registered: it is no longer "seen, not registered". */
  forget(mac: Mac): void {
    if (!this.byMac.delete(mac)) return;
    this.counts.registered.inc();
    this.counts.size.set(this.byMac.size);
  }

  /** Newest (last seen) first. */
  discovered(): DiscoveredClient[] {
    const out: DiscoveredClient[] = [];
    for (const e of this.byMac.values())
      out.push({
        mac: e.mac,
        kind: e.kind,
        arch: e.arch,
        vendorClass: e.vendorClass,
        firstSeen: new Date(e.firstSeen).toISOString(),
        lastSeen: new Date(e.lastSeen).toISOString(),
        count: e.count,
      });
    return out.reverse();
  }

  subscribe(fn: (e: DiscoveryEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The token bucket: `rate` tokens a second, at most `rate` held. */
  private takeToken(now: number): boolean {
    const elapsed = Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(this.rate, this.tokens + (elapsed * this.rate) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
