/**
 * Where the lease table keeps its records: typed arrays, one slot per address that has a
 * record, and the index from client to address. No objects per lease: every new lease
 * outlives V8's young generation, and a scavenge's pause grows with what it must copy
 * out of it (three objects a lease made scavenges of 0.6-1.3 ms at 1 DORA in flight, a
 * stateless server's took 0.2; docs/benchmarks.md). A client without option 61 is found
 * by its MAC as two numbers; a client identifier (option 61) is kept as its string.
 *
 * No policy here: lease-table.ts decides what a record becomes.
 */
import type { Ip4 } from "../core/ipv4.js";
import type { Mac } from "../core/mac.js";
import { isIdKey, macOfChaddr, type ClientKey } from "./lease.js";

export type LeaseState = "probing" | "offered" | "bound" | "released" | "expired" | "declined";

/** A record as read at one moment: a copy, which later changes to the table do not touch. */
export interface Lease {
  readonly ip: Ip4;
  /** "" for a declined (quarantined) address: nobody holds it. */
  readonly client: ClientKey | "";
  readonly mac: Mac | null;
  readonly state: LeaseState;
  /** Epoch ms; for released/expired leases, when the address was given back. */
  readonly expiresAt: number;
}

const STATES: readonly LeaseState[] = [
  "probing",
  "offered",
  "bound",
  "released",
  "expired",
  "declined",
];
const STATE_CODE = new Map(STATES.map((s, i) => [s, i]));

/** `holder` of a slot: nobody, the MAC itself, or the client identifier in `ids`. */
const NOBODY = 0;
const BY_MAC = 1;
const BY_ID = 2;

function hexDigit(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

function macByte(mac: Mac, k: number): number {
  return hexDigit(mac, 3 * k) * 16 + hexDigit(mac, 3 * k + 1);
}

/** The MAC's first two bytes. */
const macHigh = (mac: Mac): number => (macByte(mac, 0) << 8) | macByte(mac, 1);
/** Its last four, as a signed 32-bit integer: a Map key V8 keeps without an object. */
const macLow = (mac: Mac): number =>
  (macByte(mac, 2) << 24) | (macByte(mac, 3) << 16) | (macByte(mac, 4) << 8) | macByte(mac, 5);

const MAC_BYTES = new Uint8Array(6);

export class LeaseSlots {
  /** Slot by address (as a signed 32-bit key: an unsigned one above 2^31 is an object). */
  private readonly slotOfIp = new Map<number, number>();
  private ip = new Uint32Array(64);
  private state = new Uint8Array(64);
  private expires = new Float64Array(64);
  private holder = new Uint8Array(64);
  private hasMac = new Uint8Array(64);
  private macHi = new Uint16Array(64);
  private macLo = new Int32Array(64);
  /** The client identifier of a BY_ID slot. */
  private readonly ids = new Map<number, ClientKey>();
  private readonly freeSlots: number[] = [];
  private used = 0;
  /** Address by client: identifiers by string, MACs by their two halves. */
  private readonly byId = new Map<ClientKey, Ip4>();
  private readonly byMac = new Map<number, Map<number, Ip4>>();

  get(ip: Ip4): Lease | undefined {
    const s = this.slotOfIp.get(ip | 0);
    return s === undefined ? undefined : this.view(s);
  }

  /** Creates or overwrites the record of `ip`. */
  put(
    ip: Ip4,
    mac: Mac | null,
    client: ClientKey | "",
    state: LeaseState,
    expiresAt: number,
  ): void {
    let s = this.slotOfIp.get(ip | 0);
    if (s === undefined) {
      s = this.freeSlots.pop() ?? this.grow();
      this.slotOfIp.set(ip | 0, s);
      this.ip[s] = ip;
    }
    this.setHolder(s, client, mac);
    this.state[s] = STATE_CODE.get(state)!;
    this.expires[s] = expiresAt;
  }

  /** Changes the state and time of an existing record. */
  update(ip: Ip4, state: LeaseState, expiresAt: number): void {
    const s = this.slotOfIp.get(ip | 0);
    if (s === undefined) return;
    this.state[s] = STATE_CODE.get(state)!;
    this.expires[s] = expiresAt;
  }

  /** Changes who holds an existing record. */
  hold(ip: Ip4, client: ClientKey | "", mac: Mac | null): void {
    const s = this.slotOfIp.get(ip | 0);
    if (s !== undefined) this.setHolder(s, client, mac);
  }

  delete(ip: Ip4): void {
    const s = this.slotOfIp.get(ip | 0);
    if (s === undefined) return;
    this.slotOfIp.delete(ip | 0);
    this.ids.delete(s);
    this.freeSlots.push(s);
  }

  /** Every record, oldest first (one dropped and made again counts as new). */
  *all(): Iterable<Lease> {
    for (const s of this.slotOfIp.values()) yield this.view(s);
  }

  /** The address the client was last given, as indexed (the record may be another's now). */
  addressOf(client: ClientKey): Ip4 | undefined {
    if (isIdKey(client)) return this.byId.get(client);
    return this.byMac.get(macHigh(client as Mac))?.get(macLow(client as Mac));
  }

  setAddressOf(client: ClientKey, ip: Ip4): void {
    if (isIdKey(client)) {
      this.byId.set(client, ip);
      return;
    }
    const hi = macHigh(client as Mac);
    let inner = this.byMac.get(hi);
    if (!inner) this.byMac.set(hi, (inner = new Map<number, Ip4>()));
    inner.set(macLow(client as Mac), ip);
  }

  forgetAddressOf(client: ClientKey): void {
    if (isIdKey(client)) this.byId.delete(client);
    else this.byMac.get(macHigh(client as Mac))?.delete(macLow(client as Mac));
  }

  private setHolder(s: number, client: ClientKey | "", mac: Mac | null): void {
    this.hasMac[s] = mac === null ? 0 : 1;
    if (mac !== null) {
      this.macHi[s] = macHigh(mac);
      this.macLo[s] = macLow(mac);
    }
    // A client without option 61 is its MAC: nothing more to keep. Any other key (an
    // identifier) is kept as its string.
    if (client === "" || client === mac) {
      this.ids.delete(s);
      this.holder[s] = client === "" ? NOBODY : BY_MAC;
    } else {
      this.ids.set(s, client);
      this.holder[s] = BY_ID;
    }
  }

  private macText(s: number): Mac {
    const hi = this.macHi[s]!;
    const lo = this.macLo[s]!;
    MAC_BYTES[0] = hi >> 8;
    MAC_BYTES[1] = hi & 255;
    MAC_BYTES[2] = lo >>> 24;
    MAC_BYTES[3] = (lo >>> 16) & 255;
    MAC_BYTES[4] = (lo >>> 8) & 255;
    MAC_BYTES[5] = lo & 255;
    return macOfChaddr(MAC_BYTES);
  }

  private view(s: number): Lease {
    const mac = this.hasMac[s] === 1 ? this.macText(s) : null;
    const h = this.holder[s];
    const client = h === NOBODY ? "" : h === BY_MAC ? (mac as Mac) : this.ids.get(s)!;
    return {
      ip: this.ip[s]! as Ip4,
      client,
      mac,
      state: STATES[this.state[s]!]!,
      expiresAt: this.expires[s]!,
    };
  }

  /** A new slot, doubling the arrays when they are full. */
  private grow(): number {
    if (this.used === this.ip.length) {
      const n = this.ip.length * 2;
      this.ip = widened(this.ip, new Uint32Array(n));
      this.state = widened(this.state, new Uint8Array(n));
      this.expires = widened(this.expires, new Float64Array(n));
      this.holder = widened(this.holder, new Uint8Array(n));
      this.hasMac = widened(this.hasMac, new Uint8Array(n));
      this.macHi = widened(this.macHi, new Uint16Array(n));
      this.macLo = widened(this.macLo, new Int32Array(n));
    }
    return this.used++;
  }
}

/** `to` (twice as long) with `from` copied into its start. */
function widened<T extends { set(from: ArrayLike<number>): void }>(
  from: ArrayLike<number>,
  to: T,
): T {
  to.set(from);
  return to;
}
