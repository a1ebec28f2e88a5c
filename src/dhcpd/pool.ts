/**
 * The free addresses of one dynamic range, as an indexed set: take the next free address,
 * take a given one, give one back, each O(1), whatever the pool's size or fill. Two typed
 * arrays of 4 bytes per address (a /12 pool is 8 MiB).
 *
 * Order: addresses are handed out lowest first; a returned address goes to the back of
 * the line, so a just-released address is the last to be reused (RFC 2131 4.3.1 asks the
 * server to prefer addresses not recently held).
 */
import type { Ip4 } from "../core/ipv4.js";

export class AddressPool {
  readonly size: number;
  /** Free offsets; a ring from `head`, `count` long. */
  private readonly ring: Uint32Array;
  /** Where each offset sits in the ring, or -1 when taken. */
  private readonly where: Int32Array;
  private head = 0;
  private count: number;

  constructor(
    readonly first: Ip4,
    readonly last: Ip4,
  ) {
    this.size = last - first + 1;
    this.ring = new Uint32Array(this.size);
    this.where = new Int32Array(this.size);
    for (let i = 0; i < this.size; i++) {
      this.ring[i] = i;
      this.where[i] = i;
    }
    this.count = this.size;
  }

  get free(): number {
    return this.count;
  }

  contains(ip: Ip4): boolean {
    return ip >= this.first && ip <= this.last;
  }

  isFree(ip: Ip4): boolean {
    return this.contains(ip) && this.where[ip - this.first]! >= 0;
  }

  /** The free address that has waited longest, taken; null when none is free. */
  takeNext(): Ip4 | null {
    if (this.count === 0) return null;
    const off = this.ring[this.head]!;
    this.where[off] = -1;
    this.head = (this.head + 1) % this.size;
    this.count--;
    return (this.first + off) as Ip4;
  }

  /** Takes `ip` if it is free (moving the ring's head entry into its slot). */
  take(ip: Ip4): boolean {
    if (!this.isFree(ip)) return false;
    const off = ip - this.first;
    const slot = this.where[off]!;
    const headOff = this.ring[this.head]!;
    this.ring[slot] = headOff;
    this.where[headOff] = slot;
    this.where[off] = -1;
    this.head = (this.head + 1) % this.size;
    this.count--;
    return true;
  }

  /** Returns `ip` to the back of the line (no-op when already free or outside). */
  give(ip: Ip4): void {
    if (!this.contains(ip) || this.where[ip - this.first]! >= 0) return;
    const slot = (this.head + this.count) % this.size;
    this.ring[slot] = ip - this.first;
    this.where[ip - this.first] = slot;
    this.count++;
  }
}

/**
 * A min-heap of (time, address) with lazy deletion: the owner checks entries it pops.
 * Kept in typed arrays, which grow by doubling outside V8's heap: a JS array's backing
 * store is copied on every growth and each copy is one more object for the collector.
 */
export class ExpiryHeap {
  private times = new Float64Array(64);
  private ips = new Uint32Array(64);
  private n = 0;

  get length(): number {
    return this.n;
  }

  push(at: number, ip: Ip4): void {
    if (this.n === this.times.length) {
      const times = new Float64Array(2 * this.n);
      const ips = new Uint32Array(2 * this.n);
      times.set(this.times);
      ips.set(this.ips);
      this.times = times;
      this.ips = ips;
    }
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.times[p]! <= at) break;
      this.times[i] = this.times[p]!;
      this.ips[i] = this.ips[p]!;
      i = p;
    }
    this.times[i] = at;
    this.ips[i] = ip;
  }

  /** Pops the earliest entry due at or before `now`, or null. */
  popDue(now: number): { at: number; ip: Ip4 } | null {
    if (this.n === 0 || this.times[0]! > now) return null;
    const top = { at: this.times[0]!, ip: this.ips[0]! as Ip4 };
    const n = --this.n;
    const t = this.times[n]!;
    const ip = this.ips[n]!;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const c = l + 1 < n && this.times[l + 1]! < this.times[l]! ? l + 1 : l;
        if (this.times[c]! >= t) break;
        this.times[i] = this.times[c]!;
        this.ips[i] = this.ips[c]!;
        i = c;
      }
      this.times[i] = t;
      this.ips[i] = ip;
    }
    return top;
  }
}
