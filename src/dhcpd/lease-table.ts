/**
 * The lease engine's tables: leases by address, the address by client, the free pool
 * addresses of each subnet in an indexed set (pool.ts), expiries in a heap. Every change
 * keeps the indexes in step; work per call is O(log n) whatever the lease count.
 *
 * No policy here: which address a client may have is decided by the message handlers
 * (offer.ts, request.ts, give-back.ts); this file only records the outcome.
 */
import type { Mac } from "../core/mac.js";
import type { Ip4 } from "../core/ipv4.js";
import type { ServerConfig, Subnet } from "./config.js";
import { AddressPool, ExpiryHeap } from "./pool.js";
import { subnetOfAddress } from "./subnet-choice.js";
import type { ClientKey, LeaseRecord } from "./lease.js";

export type LeaseState = "probing" | "offered" | "bound" | "released" | "expired" | "declined";

export interface Lease {
  readonly ip: Ip4;
  /** "" for a declined (quarantined) address: nobody holds it. */
  client: ClientKey | "";
  mac: Mac | null;
  state: LeaseState;
  /** Epoch ms; for released/expired leases, when the address was given back. */
  expiresAt: number;
}

const ACTIVE: ReadonlySet<LeaseState> = new Set(["probing", "offered", "bound", "declined"]);

/** Held or on offer: the address is not free for anyone else. */
export const isActive = (l: Lease | undefined): l is Lease =>
  l !== undefined && ACTIVE.has(l.state);

export class LeaseTable {
  private readonly byIp = new Map<Ip4, Lease>();
  private readonly byClient = new Map<ClientKey, Ip4>();
  private readonly pools = new Map<Subnet, AddressPool>();
  private readonly heap = new ExpiryHeap();
  /** Pool addresses reserved for someone, kept out of the free set until refreshed. */
  private parked: Ip4[] = [];

  constructor(private readonly config: ServerConfig) {
    for (const s of [config.local, ...config.relayed])
      if (s.range) this.pools.set(s, new AddressPool(s.range.first, s.range.last));
  }

  get(ip: Ip4): Lease | undefined {
    return this.byIp.get(ip);
  }

  ofClient(client: ClientKey): Lease | undefined {
    const ip = this.byClient.get(client);
    const l = ip === undefined ? undefined : this.byIp.get(ip);
    return l && l.client === client ? l : undefined;
  }

  /** Every address some client holds or was offered. */
  *held(): Iterable<Lease> {
    for (const l of this.byIp.values()) if (isActive(l)) yield l;
  }

  poolFor(subnet: Subnet): AddressPool | undefined {
    return this.pools.get(subnet);
  }

  /** The pool `ip` belongs to, if it is a pool address of a served subnet. */
  poolOf(ip: Ip4): AddressPool | undefined {
    const s = subnetOfAddress(this.config, ip);
    const p = s ? this.pools.get(s) : undefined;
    return p?.contains(ip) ? p : undefined;
  }

  /** Next free pool address that `skip` does not reject; rejected ones are parked. */
  allocate(pool: AddressPool, skip: (ip: Ip4) => boolean): Ip4 | null {
    for (;;) {
      const ip = pool.takeNext();
      if (ip === null) return null;
      if (skip(ip)) {
        this.parked.push(ip);
        continue;
      }
      return ip;
    }
  }

  /** Parked addresses go back to their pool unless someone holds them now. */
  unpark(): void {
    const parked = this.parked;
    this.parked = [];
    for (const ip of parked) if (!isActive(this.byIp.get(ip))) this.poolOf(ip)?.give(ip);
  }

  /** Makes `ip` the client's (replacing whatever record the address had). */
  claim(ip: Ip4, mac: Mac, client: ClientKey, state: LeaseState, expiresAt: number): Lease {
    const old = this.byIp.get(ip);
    if (old && old.client && old.client !== client && this.byClient.get(old.client) === ip)
      this.byClient.delete(old.client);
    const mine = this.byClient.get(client);
    if (mine !== undefined && mine !== ip) {
      const prev = this.byIp.get(mine);
      // An unanswered offer elsewhere is given back; a bound lease runs out on its own.
      if (prev && prev.client === client && (prev.state === "offered" || prev.state === "probing"))
        this.free(prev);
    }
    const l: Lease = { ip, client, mac, state, expiresAt };
    this.byIp.set(ip, l);
    this.byClient.set(client, ip);
    this.heap.push(expiresAt, ip);
    return l;
  }

  /** Binds `l` to its client until `expiresAt`; the client's previous address is freed. */
  bind(l: Lease, mac: Mac, expiresAt: number): LeaseRecord {
    const client = l.client as ClientKey;
    const previous = this.byClient.get(client);
    if (previous !== undefined && previous !== l.ip) {
      const old = this.byIp.get(previous);
      if (old && old.client === l.client) this.free(old);
    }
    // A renewal's MAC is this packet's copy of the same text: keeping the lease's own
    // spares promoting the new string (the lease is long-lived, the packet is not).
    if (l.mac !== mac) l.mac = mac;
    this.byClient.set(client, l.ip);
    this.setExpiry(l, "bound", expiresAt);
    return recordOf(l);
  }

  /** Takes the address from its holder and keeps it from everyone for declineSeconds. */
  quarantine(l: Lease, now: number): LeaseRecord {
    if (l.client && this.byClient.get(l.client) === l.ip) this.byClient.delete(l.client);
    l.client = "";
    l.mac = null;
    this.setExpiry(l, "declined", now + this.config.declineSeconds * 1000);
    return recordOf(l);
  }

  /** The client gave the address back: it returns to the pool, its holder remembered. */
  release(l: Lease, now: number): LeaseRecord {
    this.setExpiry(l, "released", now);
    this.poolOf(l.ip)?.give(l.ip);
    return recordOf(l);
  }

  /** A probing address nobody answered for: an ordinary offer until `until`. */
  offered(l: Lease, until: number): void {
    this.setExpiry(l, "offered", until);
  }

  /** Expired leases go back to the pool (their holder is remembered), offers vanish. */
  reap(now: number): void {
    for (let due = this.heap.popDue(now); due; due = this.heap.popDue(now)) {
      const l = this.byIp.get(due.ip);
      if (!l || l.expiresAt !== due.at || !isActive(l)) continue;
      if (l.state === "bound") {
        l.state = "expired";
        this.poolOf(l.ip)?.give(l.ip);
      } else this.free(l);
    }
  }

  /** Forgets the record and returns the address to its pool. */
  free(l: Lease): void {
    this.drop(l);
    this.poolOf(l.ip)?.give(l.ip);
  }

  /** Rebuilds the tables from the journal's records (in order; later ones win). */
  restore(records: Iterable<LeaseRecord>, now: number): void {
    for (const r of records) {
      const old = this.byIp.get(r.ip);
      if (old) this.drop(old);
      if (subnetOfAddress(this.config, r.ip) === null) continue;
      const live = (r.state === "bound" || r.state === "declined") && r.expiresAt > now;
      const l: Lease = {
        ip: r.ip,
        client: r.client,
        mac: r.mac,
        state: r.state,
        expiresAt: r.expiresAt,
      };
      if (r.state === "bound" && !live) l.state = "expired";
      this.byIp.set(r.ip, l);
      if (l.client) this.byClient.set(l.client, r.ip);
      const pool = this.poolOf(r.ip);
      if (live) {
        pool?.take(r.ip);
        this.heap.push(r.expiresAt, r.ip);
      } else if (pool?.take(r.ip)) pool.give(r.ip); // to the back of the line, as when given back
    }
  }

  /** What compaction keeps: every lease still in force, and the last holder of the rest. */
  *records(): Iterable<LeaseRecord> {
    for (const l of this.byIp.values()) {
      if (
        l.state === "probing" ||
        l.state === "offered" ||
        (l.client === "" && l.state !== "declined")
      )
        continue;
      const state = l.state === "expired" ? "released" : l.state;
      yield { ip: l.ip, client: l.client, mac: l.mac, state, expiresAt: l.expiresAt };
    }
  }

  private drop(l: Lease): void {
    this.byIp.delete(l.ip);
    if (l.client && this.byClient.get(l.client) === l.ip) this.byClient.delete(l.client);
  }

  private setExpiry(l: Lease, state: LeaseState, at: number): void {
    l.state = state;
    l.expiresAt = at;
    if (ACTIVE.has(state)) this.heap.push(at, l.ip);
  }
}

function recordOf(l: Lease): LeaseRecord {
  return {
    ip: l.ip,
    client: l.client,
    mac: l.mac,
    state: l.state as LeaseRecord["state"],
    expiresAt: l.expiresAt,
  };
}
