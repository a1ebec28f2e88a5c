/**
 * The registry's side of BMC power: after a change is on disk, the action the policy asks
 * for (src/power/policy.ts) runs in the background; an operator's request runs at once.
 * Either way the outcome becomes a `power` event on the machine and a metric.
 */
import type { Mac } from "../core/mac.js";
import { bmcEndpoint, type Bmc } from "../power/bmc.js";
import { powerDecision, type PowerTrigger } from "../power/policy.js";
import {
  machineLabel,
  PowerError,
  type Power,
  type PowerAction,
  type PowerOutcome,
} from "../power/power.js";
import type { MachineBook } from "./book.js";
import type { MachineRecord } from "./machine.js";

/** What started a power action: a registry change, or an operator through the control API. */
export type PowerCause = PowerTrigger | "operator";

/** A machine that has a BMC. */
export type PoweredMachine = MachineRecord & { bmc: Bmc };

interface Waiting {
  action: PowerAction;
  trigger: PowerTrigger;
  /** Settles the promise `close()` waits for. */
  done: () => void;
}

/** Per machine: at most one automatic action running and one waiting. */
interface Slot {
  waiting: Waiting | null;
  timer: NodeJS.Timeout | null;
  running: boolean;
}

export class MachinePower {
  private readonly slots = new Map<Mac, Slot>();

  /**
   * `settleMs`: how long an automatic action waits before it starts, so that the provider's
   * reinstall (a PUT, then a rearm, one request after the other) powers the machine once
   * with the rearm's `arm`, instead of `ensure-on` and then a cycle of a machine just
   * switched on.
   */
  constructor(
    private readonly book: MachineBook,
    private readonly power: Power | null,
    private readonly settleMs: number,
  ) {}

  get enabled(): boolean {
    return this.power !== null;
  }

  /** After `trigger` changed `m` (and it is on disk): schedules what the policy asks for. */
  after(m: MachineRecord, trigger: PowerTrigger): void {
    if (!this.power) return;
    const bootStarted = m.bootStartedAt !== null;
    const d = powerDecision(trigger, { state: m.state, bootStarted, hasBmc: !!m.bmc });
    if (!d.action) return;
    this.book.log.info({ mac: m.mac, trigger, action: d.action, why: d.why }, "power scheduled");
    this.schedule(m.mac, d.action, trigger);
  }

  /**
   * An operator's action, run now (after whatever the BMC is already doing). It replaces an
   * automatic action that has not started: the operator's word is the newest.
   */
  request(m: PoweredMachine, action: PowerAction, opts: { pxeOnce?: boolean }) {
    const slot = this.slots.get(m.mac);
    if (slot?.waiting) {
      slot.waiting.done();
      slot.waiting = null;
    }
    return this.run(m, action, "operator", opts);
  }

  /** Newest wins: a waiting action is replaced, a running one finishes first. */
  private schedule(mac: Mac, action: PowerAction, trigger: PowerTrigger): void {
    let slot = this.slots.get(mac);
    if (!slot) {
      slot = { waiting: null, timer: null, running: false };
      this.slots.set(mac, slot);
    }
    slot.waiting?.done();
    let done!: () => void;
    this.book.track(new Promise<void>((resolve) => (done = resolve)));
    slot.waiting = { action, trigger, done };
    if (!slot.running && !slot.timer) this.arm(mac, slot);
  }

  private arm(mac: Mac, slot: Slot): void {
    slot.timer = setTimeout(() => void this.next(mac, slot), this.settleMs);
  }

  private async next(mac: Mac, slot: Slot): Promise<void> {
    slot.timer = null;
    const w = slot.waiting;
    slot.waiting = null;
    if (!w) {
      this.slots.delete(mac);
      return;
    }
    slot.running = true;
    try {
      // The machine may have been removed, or lost its BMC, while the action waited.
      const m = this.book.machines.get(mac);
      if (m?.bmc) await this.run(m as PoweredMachine, w.action, w.trigger, {}).catch(() => {});
    } finally {
      slot.running = false;
      w.done();
      if (slot.waiting) this.arm(mac, slot);
      else this.slots.delete(mac);
    }
  }

  private async run(
    m: PoweredMachine,
    action: PowerAction,
    trigger: PowerCause,
    opts: { pxeOnce?: boolean },
  ): Promise<PowerOutcome> {
    const started = Date.now();
    const machine = machineLabel(m.mac, m.hostname);
    if (!this.power) throw new Error("power is not configured");
    try {
      const out = await this.power.perform({ machine, bmc: m.bmc }, action, opts);
      this.note(m.mac, { action, trigger, ok: true, sent: out.sent, power: out.power, ms: out.ms });
      return out;
    } catch (err) {
      const e =
        err instanceof PowerError
          ? err
          : new PowerError("failed", action, machine, bmcEndpoint(m.bmc), [], String(err));
      const error = { kind: e.kind, message: e.message };
      this.note(m.mac, {
        action,
        trigger,
        ok: false,
        sent: e.sent,
        error,
        ms: Date.now() - started,
      });
      throw e;
    }
  }

  private note(
    mac: Mac,
    d: {
      action: PowerAction;
      trigger: PowerCause;
      ok: boolean;
      sent: string[];
      power?: string;
      error?: { kind: string; message: string };
      ms: number;
    },
  ): void {
    this.book.metrics.powerActions.inc({ action: d.action, outcome: d.error?.kind ?? "ok" });
    this.book.log[d.ok ? "info" : "warn"]({ mac, ...d }, "power action finished");
    this.book.step(mac, (c) => c.record("power", d));
  }
}
