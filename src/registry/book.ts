/**
 * The registry's book of machines: the in-memory records, their history, the subscribers,
 * the state gauge and the state directory. Registry (control and boot side) and the
 * installer sessions write through it; nothing outside src/registry/ sees it.
 *
 * Durable first, visible after: a registration, removal, rearm or installer transition is
 * prepared on a copy (`Change.of`), written, and only then becomes the machine; when the
 * write fails, memory is as before and the caller gets the error. A boot step changes the
 * live record at once (its line may be lost in a crash, never an acknowledged change).
 */
import { EventEmitter } from "node:events";
import type { Logger } from "../core/log.js";
import type { Mac } from "../core/mac.js";
import type { Metrics } from "../core/metrics.js";
import { AddressIndex } from "./addresses.js";
import { Change, now } from "./change.js";
import { STATES, type MachineEvent, type MachineRecord, type MachineState } from "./machine.js";
import { StateStore } from "./store.js";

/**
 * Boot steps of one machine that wait for its change to be written, at most. Past it they
 * are dropped: a firmware retrying while the disk is slow repeats itself anyway.
 */
const STEPS_WAITING = 256;

/** One machine's queue: its durable changes in turn, boot steps behind them. */
interface Queue {
  tail: Promise<void>;
  /** Changes and steps queued, the running one included; the queue goes at 0. */
  size: number;
  steps: number;
}

export class MachineBook {
  private readonly byMac = new Map<Mac, MachineRecord>();
  private readonly emitter = new EventEmitter();
  private readonly store: StateStore;
  private readonly pending = new Set<Promise<void>>();
  private readonly queues = new Map<Mac, Queue>();
  /** The machines' reserved addresses, as written: kept with `byMac`, in the same step. */
  readonly addresses = new AddressIndex();

  constructor(
    stateDir: string,
    readonly log: Logger,
    readonly metrics: Metrics,
  ) {
    this.store = new StateStore(stateDir, () => [...this.byMac.values()], log);
    this.emitter.setMaxListeners(0);
  }

  /** Every machine as last written (boot steps aside): read-only, changed through this book. */
  get machines(): ReadonlyMap<Mac, MachineRecord> {
    return this.byMac;
  }

  async load(): Promise<void> {
    for (const m of await this.store.load()) {
      this.byMac.set(m.mac, m);
      const holder = this.addresses.set(m.mac, m.ipv4 ?? null);
      if (holder !== null)
        this.log.warn(
          { mac: m.mac, holder },
          "state holds two machines with one ipv4; the first keeps the reservation",
        );
    }
    this.metrics.stateTornLines.inc(this.store.tornLines);
    this.updateGauge();
  }

  /** Waits for background work (hooks, queued changes) and the last write. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending, ...[...this.queues.values()].map((q) => q.tail)]);
    await this.store.close();
  }

  /** Background work that `close()` waits for. */
  track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  subscribe(fn: (e: MachineEvent) => void): () => void {
    this.emitter.on("event", fn);
    return () => this.emitter.off("event", fn);
  }

  /**
   * Runs `fn` when no other change of `mac` is running, and holds that machine's boot steps
   * until it is done: what a change read is still true when it is written, and memory
   * changes in the order the journal replays them.
   */
  exclusive<T>(mac: Mac, fn: () => Promise<T>): Promise<T> {
    const q = this.queue(mac);
    const run = q.tail.then(fn).finally(() => this.done(mac, q));
    q.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Writes a change prepared on a copy (`Change.of`, or a new record) and only then makes
   * it the machine and streams its events. Rejects with StateWriteFailed, memory unchanged.
   * Call inside `exclusive`.
   */
  save(c: Change): Promise<void> {
    if (c.events.length === 0) return Promise.resolve(); // nothing changed
    return this.store.putMachine(c.m, c.events, () => {
      const before = this.byMac.get(c.m.mac)?.state;
      this.byMac.set(c.m.mac, c.m);
      this.addresses.set(c.m.mac, c.m.ipv4 ?? null);
      for (const e of c.events) this.emit(e);
      if (before !== c.m.state) this.updateGauge();
    });
  }

  /** Writes the removal and only then forgets the machine. Call inside `exclusive`. */
  remove(m: MachineRecord): Promise<void> {
    return this.store.removeMachine(m.mac, () => {
      this.byMac.delete(m.mac);
      this.addresses.set(m.mac, null);
      this.emit({
        at: now(),
        mac: m.mac,
        generation: m.generation,
        type: "removed",
        state: m.state,
      });
      this.updateGauge();
    });
  }

  /**
   * A boot step (or a hook's outcome): changes the live record at once, its lines go to the
   * journal with the next group commit. Waits behind a change of the same machine being
   * written. Nothing happens for an unknown machine.
   */
  step(mac: Mac, fn: (c: Change) => void): void {
    const q = this.queues.get(mac);
    if (!q) return this.applyStep(mac, fn);
    if (q.steps >= STEPS_WAITING) return;
    q.steps++;
    q.size++;
    q.tail = q.tail.then(() => {
      q.steps--;
      try {
        this.applyStep(mac, fn);
      } catch (err) {
        this.log.error({ err, mac }, "boot step failed");
      } finally {
        this.done(mac, q);
      }
    });
  }

  private applyStep(mac: Mac, fn: (c: Change) => void): void {
    const m = this.byMac.get(mac);
    if (!m) return;
    const before = { state: m.state, clock: m.bootStartedAt };
    const c = new Change(m);
    fn(c);
    // Only a changed state or install clock is a record change; each event is its own line.
    if (m.state !== before.state || m.bootStartedAt !== before.clock)
      this.store.patchMachine({ mac, state: m.state, bootStartedAt: m.bootStartedAt });
    for (const e of c.events) {
      this.store.appendEvent(e);
      this.emit(e);
    }
    if (m.state !== before.state) this.updateGauge();
  }

  private queue(mac: Mac): Queue {
    let q = this.queues.get(mac);
    if (!q) {
      q = { tail: Promise.resolve(), size: 0, steps: 0 };
      this.queues.set(mac, q);
    }
    q.size++;
    return q;
  }

  /** Synchronously, as an item ends: a step right after a change's answer runs at once. */
  private done(mac: Mac, q: Queue): void {
    if (--q.size === 0 && this.queues.get(mac) === q) this.queues.delete(mac);
  }

  private emit(e: MachineEvent): void {
    for (const fn of this.emitter.listeners("event") as ((e: MachineEvent) => void)[]) {
      try {
        fn(e);
      } catch (err) {
        this.log.error({ err }, "event subscriber threw");
      }
    }
  }

  private updateGauge(): void {
    const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<MachineState, number>;
    for (const m of this.byMac.values()) counts[m.state] += 1;
    for (const s of STATES) this.metrics.machines.set({ state: s }, counts[s]);
  }
}
