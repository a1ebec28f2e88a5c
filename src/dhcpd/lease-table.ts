/**
 * The lease engine's tables: leases by address, the address by client, the free pool
 * addresses of each subnet in an indexed set (pool.ts), expiries in a heap. Every change
 * keeps the indexes in step; work per call is O(log n) whatever the lease count.
 *
 * No policy here: which address a client may have is decided by the message handlers
 * (offer.ts, request.ts, give-back.ts); this file only records the outcome. The records
 * themselves are kept in lease-slots.ts, without an object per lease: what `get` returns
 * is a copy, and every change goes through a method here.
 */
import type { Mac } from "../core/mac.js";
import type { Ip4 } from "../core/ipv4.js";
import type { ServerConfig, Subnet } from "./config.js";
import { AddressPool, ExpiryHeap } from "./pool.js";
import { subnetOfAddress } from "./subnet-choice.js";
import type { ClientKey, LeaseRecord } from "./lease.js";
import { LeaseSlots, type Lease, type LeaseState } from "./lease-slots.js";

export type { Lease, LeaseState };

const ACTIVE: ReadonlySet<LeaseState> = new Set(["probing", "offered", "bound", "declined"]);

/** Held or on offer: the address is not free for anyone else. */
export const isActive = (l: Lease | undefined): l is Lease =>
  l !== undefined && ACTIVE.has(l.state);

export class LeaseTable {
  private readonly slots = new LeaseSlots();
  private readonly pools = new Map<Subnet, AddressPool>();
  private readonly heap = new ExpiryHeap();
  /** Pool addresses reserved for someone, kept out of the free set until refreshed. */
  private parked: Ip4[] = [];

  constructor(private readonly config: ServerConfig) {
    for (const s of [config.local, ...config.relayed])
      if (s.range) this.pools.set(s, new AddressPool(s.range.first, s.range.last));
  }

  get(ip: Ip4): Lease | undefined {
    return this.slots.get(ip);
  }

  ofClient(client: ClientKey): Lease | undefined {
    const ip = this.slots.addressOf(client);
    const l = ip === undefined ? undefined : this.slots.get(ip);
    return l && l.client === client ? l : undefined;
  }

  /** Every address some client holds or was offered. */
  *held(): Iterable<Lease> {
    for (const l of this.slots.all()) if (isActive(l)) yield l;
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
    for (const ip of parked) if (!isActive(this.slots.get(ip))) this.poolOf(ip)?.give(ip);
  }

  /** Makes `ip` the client's (replacing whatever record the address had). */
  claim(ip: Ip4, mac: Mac, client: ClientKey, state: LeaseState, expiresAt: number): Lease {
    const old = this.slots.get(ip);
    if (old && old.client && old.client !== client && this.slots.addressOf(old.client) === ip)
      this.slots.forgetAddressOf(old.client);
    const mine = this.slots.addressOf(client);
    if (mine !== undefined && mine !== ip) {
      const prev = this.slots.get(mine);
      // An unanswered offer elsewhere is given back; a bound lease runs out on its own.
      if (prev && prev.client === client && (prev.state === "offered" || prev.state === "probing"))
        this.free(prev);
    }
    this.slots.put(ip, mac, client, state, expiresAt);
    this.slots.setAddressOf(client, ip);
    this.heap.push(expiresAt, ip);
    return { ip, client, mac, state, expiresAt };
  }

  /** Binds `l` to its client until `expiresAt`; the client's previous address is freed. */
  bind(l: Lease, mac: Mac, expiresAt: number): LeaseRecord {
    const client = l.client as ClientKey;
    const previous = this.slots.addressOf(client);
    if (previous !== undefined && previous !== l.ip) {
      const old = this.slots.get(previous);
      if (old && old.client === client) this.free(old);
    }
    this.slots.hold(l.ip, client, mac);
    this.slots.setAddressOf(client, l.ip);
    this.setExpiry(l.ip, "bound", expiresAt);
    return { ip: l.ip, client, mac, state: "bound", expiresAt };
  }

  /** Takes the address from its holder and keeps it from everyone for declineSeconds. */
  quarantine(l: Lease, now: number): LeaseRecord {
    if (l.client && this.slots.addressOf(l.client) === l.ip) this.slots.forgetAddressOf(l.client);
    const until = now + this.config.declineSeconds * 1000;
    this.slots.hold(l.ip, "", null);
    this.setExpiry(l.ip, "declined", until);
    return { ip: l.ip, client: "", mac: null, state: "declined", expiresAt: until };
  }

  /** The client gave the address back: it returns to the pool, its holder remembered. */
  release(l: Lease, now: number): LeaseRecord {
    this.setExpiry(l.ip, "released", now);
    this.poolOf(l.ip)?.give(l.ip);
    return { ip: l.ip, client: l.client, mac: l.mac, state: "released", expiresAt: now };
  }

  /** A probing address nobody answered for: an ordinary offer until `until`. */
  offered(l: Lease, until: number): void {
    this.setExpiry(l.ip, "offered", until);
  }

  /** Expired leases go back to the pool (their holder is remembered), offers vanish. */
  reap(now: number): void {
    for (let due = this.heap.popDue(now); due; due = this.heap.popDue(now)) {
      const l = this.slots.get(due.ip);
      if (!l || l.expiresAt !== due.at || !isActive(l)) continue;
      if (l.state === "bound") {
        this.slots.update(l.ip, "expired", l.expiresAt);
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
      const old = this.slots.get(r.ip);
      if (old) this.drop(old);
      if (subnetOfAddress(this.config, r.ip) === null) continue;
      const live = (r.state === "bound" || r.state === "declined") && r.expiresAt > now;
      const state = r.state === "bound" && !live ? "expired" : r.state;
      this.slots.put(r.ip, r.mac, r.client, state, r.expiresAt);
      if (r.client) this.slots.setAddressOf(r.client, r.ip);
      const pool = this.poolOf(r.ip);
      if (live) {
        pool?.take(r.ip);
        this.heap.push(r.expiresAt, r.ip);
      } else if (pool?.take(r.ip)) pool.give(r.ip); // to the back of the line, as when given back
    }
  }

  /** What compaction keeps: every lease still in force, and the last holder of the rest. */
  *records(): Iterable<LeaseRecord> {
    for (const l of this.slots.all()) {
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
    this.slots.delete(l.ip);
    if (l.client && this.slots.addressOf(l.client) === l.ip) this.slots.forgetAddressOf(l.client);
  }

  private setExpiry(ip: Ip4, state: LeaseState, at: number): void {
    this.slots.update(ip, state, at);
    if (ACTIVE.has(state)) this.heap.push(at, ip);
  }
}
