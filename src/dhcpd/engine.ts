/**
 * The lease engine: RFC 2131's server side as pure state over time. No sockets, no clock,
 * no disk: a request and `now` (epoch ms) in, a verdict out. The runner sends the reply,
 * pings when asked, and writes `durable` records to the journal before it sends an ACK.
 *
 * Tables: leases by address, the address by client; free pool addresses in an indexed set
 * (pool.ts); expiries in a heap. Work per packet is O(log n) whatever the lease count.
 */
import type { DhcpPacket } from "../dhcp/codec/packet.js";
import { MSG, messageType, requestedIp, serverId } from "../dhcp/codec/options.js";
import type { Mac } from "../core/mac.js";
import type { Reservations } from "../registry/doors.js";
import { subnetFor, type ServerConfig, type Subnet } from "./config.js";
import { inSubnet, ipOf, type Ip4 } from "../core/ipv4.js";
import { AddressPool, ExpiryHeap } from "./pool.js";
import { clientKeyOf, macOfChaddr, type ClientKey, type LeaseRecord } from "./lease.js";

export type { Reservations };

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

export type Verdict =
  | {
      readonly kind: "offer";
      readonly ip: Ip4;
      readonly subnet: Subnet;
      /** A fresh pool address: the runner pings it, then calls probed(). */
      readonly probe: boolean;
    }
  | {
      readonly kind: "ack";
      readonly ip: Ip4;
      readonly subnet: Subnet;
      /** To be made durable before the ACK leaves. */
      readonly durable: LeaseRecord;
    }
  | { readonly kind: "inform"; readonly subnet: Subnet }
  | { readonly kind: "nak"; readonly reason: string }
  | { readonly kind: "silent"; readonly reason: string; readonly durable?: LeaseRecord };

const ACTIVE: ReadonlySet<LeaseState> = new Set(["probing", "offered", "bound", "declined"]);
const active = (l: Lease | undefined): l is Lease => l !== undefined && ACTIVE.has(l.state);

export class LeaseEngine {
  private readonly byIp = new Map<Ip4, Lease>();
  private readonly byClient = new Map<ClientKey, Ip4>();
  private readonly pools = new Map<Subnet, AddressPool>();
  private readonly heap = new ExpiryHeap();
  /** Pool addresses reserved for someone, kept out of the free set until refreshed. */
  private parked: Ip4[] = [];

  constructor(
    readonly config: ServerConfig,
    private readonly reservations: Reservations,
    /** The appliance's address: option 54 of every reply. */
    readonly serverId: Ip4,
  ) {
    for (const s of [config.local, ...config.relayed])
      if (s.range) this.pools.set(s, new AddressPool(s.range.first, s.range.last));
  }

  /** One request. Malformed or foreign requests get `silent` with the reason. */
  handle(req: DhcpPacket, now: number): Verdict {
    this.reap(now);
    const type = messageType(req);
    if (req.op !== 1 || req.htype !== 1 || req.hlen !== 6 || type === null)
      return { kind: "silent", reason: "not an Ethernet DHCP request" };
    const giaddr = ipOf(req.giaddr);
    const ciaddr = ipOf(req.ciaddr);
    let subnet = subnetFor(this.config, giaddr);
    if (subnet === null) return { kind: "silent", reason: "giaddr outside every subnet" };
    // An unrelayed unicast from a routed client (renewing, informing) names its subnet.
    if (giaddr === 0 && ciaddr !== 0 && !inSubnet(subnet, ciaddr))
      subnet = this.config.relayed.find((s) => inSubnet(s, ciaddr)) ?? subnet;
    const mac = macOfChaddr(req.chaddr);
    const client = clientKeyOf(req, mac);
    switch (type) {
      case MSG.DISCOVER:
        return this.discover(req, mac, client, subnet, now);
      case MSG.REQUEST:
        return this.request(req, mac, client, subnet, ciaddr, now);
      case MSG.DECLINE:
        return this.decline(req, client, now);
      case MSG.RELEASE:
        return this.release(req, client, ciaddr, now);
      case MSG.INFORM:
        return { kind: "inform", subnet };
      default:
        return { kind: "silent", reason: `message type ${type} is not a client request` };
    }
  }

  /** The ping for an offered fresh address came back: answered = someone uses it. */
  probed(ip: Ip4, answered: boolean, now: number): LeaseRecord | null {
    const l = this.byIp.get(ip);
    if (!l || l.state !== "probing") return null;
    if (!answered) {
      this.setExpiry(l, "offered", now + this.config.offerSeconds * 1000);
      return null;
    }
    return this.quarantine(l, now);
  }

  /** Re-checks parked (reserved) pool addresses after the registry's reservations changed. */
  refreshReservations(): void {
    const parked = this.parked;
    this.parked = [];
    for (const ip of parked) if (!active(this.byIp.get(ip))) this.poolOf(ip)?.give(ip);
  }

  /** Rebuilds the tables from the journal's records (in order; later ones win). */
  restore(records: Iterable<LeaseRecord>, now: number): void {
    for (const r of records) {
      const old = this.byIp.get(r.ip);
      if (old) this.drop(old);
      if (!this.served(r.ip)) continue;
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

  lease(ip: Ip4): Readonly<Lease> | undefined {
    return this.byIp.get(ip);
  }

  leaseOfClient(client: ClientKey): Readonly<Lease> | undefined {
    const ip = this.byClient.get(client);
    const l = ip === undefined ? undefined : this.byIp.get(ip);
    return l && l.client === client ? l : undefined;
  }

  /** Every address some client holds or was offered (for a status view, and tests). */
  *held(): Iterable<Readonly<Lease>> {
    for (const l of this.byIp.values()) if (active(l)) yield l;
  }

  freeCount(subnet: Subnet): number {
    return this.pools.get(subnet)?.free ?? 0;
  }

  private discover(
    req: DhcpPacket,
    mac: Mac,
    client: ClientKey,
    subnet: Subnet,
    now: number,
  ): Verdict {
    const own = this.leaseOfClient(client);
    if (own?.state === "probing") return { kind: "silent", reason: "address check in progress" };
    const reserved = this.reservations.reservedFor(mac);
    let conflict = false;
    if (reserved !== null && inSubnet(subnet, reserved)) {
      const holder = this.byIp.get(reserved);
      // The same MAC under another client id is the same machine at another boot stage:
      // EDK2's PXE sends no option 61, the iPXE it loads then sends 01+MAC (seen in the lab).
      if (!active(holder) || holder.client === client || holder.mac === mac)
        return this.offer(reserved, mac, client, subnet, false, now);
      conflict = true; // held by another client since before the reservation: pool until it ends
    }
    if (own && !conflict && inSubnet(subnet, own.ip) && this.usableBy(own.ip, mac, client))
      return this.offer(own.ip, mac, client, subnet, false, now);
    const pool = this.pools.get(subnet);
    if (!pool)
      return {
        kind: "silent",
        reason: conflict ? "reserved address in use, no pool" : "no pool and no reservation",
      };
    const want = requestedIp(req);
    if (want !== null) {
      const ip = ipOf(want);
      if (pool.isFree(ip) && !this.reservedForOther(ip, mac) && this.usableBy(ip, mac, client))
        return this.offer(ip, mac, client, subnet, this.config.pingMs > 0, now);
    }
    const ip = this.allocate(pool, mac);
    if (ip === null) return { kind: "silent", reason: "pool exhausted" };
    return this.offer(ip, mac, client, subnet, this.config.pingMs > 0, now);
  }

  private request(
    req: DhcpPacket,
    mac: Mac,
    client: ClientKey,
    subnet: Subnet,
    ciaddr: Ip4,
    now: number,
  ): Verdict {
    const sid = serverId(req);
    const want = requestedIp(req);
    if (sid !== null) {
      // SELECTING: the client chose an offer; if not ours, our offer is free again.
      if (ipOf(sid) !== this.serverId) {
        const own = this.leaseOfClient(client);
        if (own && (own.state === "offered" || own.state === "probing")) this.free(own);
        return { kind: "silent", reason: "client chose another server" };
      }
      const ip = want !== null ? ipOf(want) : ciaddr;
      const l = this.byIp.get(ip);
      if (!l || l.client !== client || (l.state !== "offered" && l.state !== "bound"))
        return { kind: "nak", reason: "address not offered to this client" };
      return this.bind(l, mac, subnet, now);
    }
    // INIT-REBOOT (option 50, no ciaddr) or RENEWING/REBINDING (ciaddr).
    const ip = ciaddr !== 0 ? ciaddr : want !== null ? ipOf(want) : null;
    if (ip === null) return { kind: "silent", reason: "REQUEST names no address" };
    if (!inSubnet(subnet, ip))
      return { kind: "nak", reason: "address not on the client's network" };
    const reserved = this.reservations.reservedFor(mac);
    if (
      reserved !== null &&
      reserved !== ip &&
      inSubnet(subnet, reserved) &&
      !active(this.otherHolder(reserved, client, mac))
    )
      return { kind: "nak", reason: "machine has another reserved address" };
    if (this.reservedForOther(ip, mac))
      return { kind: "nak", reason: "address reserved for another machine" };
    const l = this.byIp.get(ip);
    if (l && l.client === client && l.state !== "declined" && l.state !== "probing") {
      if (l.state === "released" || l.state === "expired") this.poolOf(ip)?.take(ip);
      return this.bind(l, mac, subnet, now);
    }
    if (active(l) && !(reserved === ip && l.mac === mac))
      return { kind: "nak", reason: "address held by another client" };
    // No record (lost, or never ours): a free pool address or the machine's reservation
    // is confirmed, so a client keeps its address across a lost lease file. The
    // reservation is also confirmed when the same MAC holds it under another client id.
    const pool = this.pools.get(subnet);
    if (reserved === ip || (pool?.isFree(ip) ?? false)) {
      pool?.take(ip);
      const fresh = this.claim(ip, mac, client, "offered", now);
      return this.bind(fresh, mac, subnet, now);
    }
    return { kind: "nak", reason: "address is not ours to give" };
  }

  private decline(req: DhcpPacket, client: ClientKey, now: number): Verdict {
    const sid = serverId(req);
    if (sid !== null && ipOf(sid) !== this.serverId)
      return { kind: "silent", reason: "DECLINE for another server" };
    const want = requestedIp(req);
    const l = want === null ? undefined : this.byIp.get(ipOf(want));
    if (!l || l.client !== client || !active(l))
      return { kind: "silent", reason: "DECLINE of an address not held" };
    return { kind: "silent", reason: "declined", durable: this.quarantine(l, now) };
  }

  private release(req: DhcpPacket, client: ClientKey, ciaddr: Ip4, now: number): Verdict {
    const sid = serverId(req);
    if (sid !== null && ipOf(sid) !== this.serverId)
      return { kind: "silent", reason: "RELEASE for another server" };
    const l = this.byIp.get(ciaddr);
    if (!l || l.client !== client || l.state !== "bound")
      return { kind: "silent", reason: "RELEASE of an address not held" };
    this.setExpiry(l, "released", now);
    this.poolOf(l.ip)?.give(l.ip);
    return { kind: "silent", reason: "released", durable: this.recordOf(l) };
  }

  private offer(
    ip: Ip4,
    mac: Mac,
    client: ClientKey,
    subnet: Subnet,
    probe: boolean,
    now: number,
  ): Verdict {
    const l = this.byIp.get(ip);
    if (l && l.client === client && l.state === "bound")
      return { kind: "offer", ip, subnet, probe: false };
    this.poolOf(ip)?.take(ip);
    const state = probe ? "probing" : "offered";
    // Probing waits at most the ping time; the offer then lasts offerSeconds.
    this.claim(ip, mac, client, state, now + this.config.offerSeconds * 1000 + this.config.pingMs);
    return { kind: "offer", ip, subnet, probe };
  }

  private bind(l: Lease, mac: Mac, subnet: Subnet, now: number): Verdict {
    const previous = this.byClient.get(l.client as ClientKey);
    if (previous !== undefined && previous !== l.ip) {
      const old = this.byIp.get(previous);
      if (old && old.client === l.client) this.free(old);
    }
    l.mac = mac;
    this.byClient.set(l.client as ClientKey, l.ip);
    this.setExpiry(l, "bound", now + subnet.leaseSeconds * 1000);
    return { kind: "ack", ip: l.ip, subnet, durable: this.recordOf(l) };
  }

  /** Makes `ip` the client's (replacing whatever record the address had). */
  private claim(ip: Ip4, mac: Mac, client: ClientKey, state: LeaseState, expiresAt: number): Lease {
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

  private quarantine(l: Lease, now: number): LeaseRecord {
    if (l.client && this.byClient.get(l.client) === l.ip) this.byClient.delete(l.client);
    l.client = "";
    l.mac = null;
    this.setExpiry(l, "declined", now + this.config.declineSeconds * 1000);
    return this.recordOf(l);
  }

  /** Next free pool address not reserved for someone else. */
  private allocate(pool: AddressPool, mac: Mac): Ip4 | null {
    for (;;) {
      const ip = pool.takeNext();
      if (ip === null) return null;
      if (this.reservedForOther(ip, mac)) {
        this.parked.push(ip);
        continue;
      }
      return ip;
    }
  }

  private usableBy(ip: Ip4, mac: Mac, client: ClientKey): boolean {
    if (this.reservedForOther(ip, mac)) return false;
    const l = this.byIp.get(ip);
    if (active(l)) return l.client === client && l.state !== "declined";
    // Expired or released: a pool address is still the client's if nobody took it since;
    // one outside the pool only while it is the machine's reservation.
    const pool = this.poolOf(ip);
    return pool ? pool.isFree(ip) : this.reservations.reservedFor(mac) === ip;
  }

  private reservedForOther(ip: Ip4, mac: Mac): boolean {
    const owner = this.reservations.reservedBy(ip);
    return owner !== null && owner !== mac;
  }

  /** Who holds `ip` other than this client, and other than this machine under another id. */
  private otherHolder(ip: Ip4, client: ClientKey, mac: Mac): Lease | undefined {
    const l = this.byIp.get(ip);
    return l && l.client !== client && l.mac !== mac ? l : undefined;
  }

  /** Expired leases go back to the pool (their holder is remembered), offers vanish. */
  private reap(now: number): void {
    for (let due = this.heap.popDue(now); due; due = this.heap.popDue(now)) {
      const l = this.byIp.get(due.ip);
      if (!l || l.expiresAt !== due.at || !active(l)) continue;
      if (l.state === "bound") {
        l.state = "expired";
        this.poolOf(l.ip)?.give(l.ip);
      } else this.free(l);
    }
  }

  /** Forgets the record and returns the address to its pool. */
  private free(l: Lease): void {
    this.drop(l);
    this.poolOf(l.ip)?.give(l.ip);
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

  private recordOf(l: Lease): LeaseRecord {
    return {
      ip: l.ip,
      client: l.client,
      mac: l.mac,
      state: l.state as LeaseRecord["state"],
      expiresAt: l.expiresAt,
    };
  }

  private subnetOf(ip: Ip4): Subnet | null {
    if (inSubnet(this.config.local, ip)) return this.config.local;
    return this.config.relayed.find((s) => inSubnet(s, ip)) ?? null;
  }

  private served(ip: Ip4): boolean {
    return this.subnetOf(ip) !== null;
  }

  private poolOf(ip: Ip4): AddressPool | undefined {
    const s = this.subnetOf(ip);
    const p = s ? this.pools.get(s) : undefined;
    return p?.contains(ip) ? p : undefined;
  }
}
