/**
 * Counting on a per-datagram path. prom-client's `labels(...).inc()` hashes the label set
 * into a string and builds an object on every call: 1 to 3 µs a packet on this machine, a
 * noticeable share of what a flood datagram may cost. Here an increment is two lookups in
 * small maps and `n++`, with nothing allocated after the first event of a label pair; the
 * totals are added to the Prometheus counter when the registry is read (its `collect`).
 */
import type { Counter } from "prom-client";

interface Slot {
  n: number;
  readonly labels: Record<string, string>;
}

export class PairCounts<A extends string, B extends string> {
  private readonly byFirst = new Map<string, Map<string, Slot>>();
  private readonly slots: Slot[] = [];

  constructor(private readonly names: readonly [A, B]) {}

  inc(first: string, second: string): void {
    let inner = this.byFirst.get(first);
    if (!inner) this.byFirst.set(first, (inner = new Map<string, Slot>()));
    const slot = inner.get(second);
    if (slot) {
      slot.n++;
      return;
    }
    const fresh = { n: 1, labels: { [this.names[0]]: first, [this.names[1]]: second } };
    inner.set(second, fresh);
    this.slots.push(fresh);
  }

  /** Adds what was counted since the last call to `counter` (from its `collect`). */
  drainInto(counter: Counter<A | B>): void {
    for (const s of this.slots) {
      if (s.n === 0) continue;
      counter.inc(s.labels as Record<A | B, string>, s.n);
      s.n = 0;
    }
  }
}
