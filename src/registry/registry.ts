import { timingSafeEqual } from "node:crypto";
import { EventEmitter } from "node:events";
import type { BootOracle, BootPlan, BootStep } from "../boot/plan.js";
import type { AfterInstall } from "../config/config.js";
import type { Logger } from "../core/log.js";
import { macForUrl, type Mac } from "../core/mac.js";
import type { Metrics } from "../core/metrics.js";
import { runHook } from "./hooks.js";
import {
  canMove,
  STATES,
  type EventType,
  type MachineEvent,
  type MachineRecord,
  type MachineState,
  type MachineView,
  type Registration,
} from "./machine.js";
import { StateStore } from "./store.js";
import { InvalidRegistration } from "./registration.js";
import { insideDir } from "../core/paths.js";
import { applyRegistration, newInstallToken, newRecord, toView } from "./record.js";
import { appendHistory } from "./history.js";

export { EVENTS_KEPT } from "./history.js";
const HOOK_TIMEOUT_MS = 5 * 60_000;

export interface RegistryOptions {
  stateDir: string;
  afterInstall: AfterInstall;
  answerUnknown: boolean;
  onInstalled: readonly string[] | null;
  log: Logger;
  metrics: Metrics;
}

/** Why an installer callback was refused; the HTTP layer turns these into status codes. */
export class CallbackRefused extends Error {
  override name = "CallbackRefused";
  constructor(
    readonly status: 403 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

const now = () => new Date().toISOString();

/** What an event carries besides its fixed fields, which no detail may override. */
type EventDetails = Record<string, unknown> & {
  at?: never;
  mac?: never;
  generation?: never;
  type?: never;
  state?: never;
};

/**
 * The machine registry: the only owner of machine state and of boot policy. Every mutation
 * is on disk before the promise it returns resolves.
 */
export class Registry implements BootOracle {
  private readonly machines = new Map<Mac, MachineRecord>();
  private readonly emitter = new EventEmitter();
  private readonly store: StateStore;
  private readonly pendingHooks = new Set<Promise<void>>();
  /** `http://ADDR:PORT` of the LAN HTTP server, set once it listens. */
  private baseUrl = "";

  constructor(private readonly opts: RegistryOptions) {
    this.store = new StateStore(opts.stateDir, () => [...this.machines.values()], opts.log);
    this.emitter.setMaxListeners(0);
  }

  async load(): Promise<void> {
    for (const m of await this.store.load()) this.machines.set(m.mac, m);
    this.updateGauge();
  }

  /** Waits for running hooks and the last write. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pendingHooks]);
    await this.store.close();
  }

  // ---- reading -------------------------------------------------------------------------

  list(): MachineView[] {
    return [...this.machines.values()]
      .sort((a, b) => a.mac.localeCompare(b.mac))
      .map((m) => this.view(m));
  }

  get(mac: Mac): MachineView | null {
    const m = this.machines.get(mac);
    return m ? this.view(m) : null;
  }

  subscribe(fn: (e: MachineEvent) => void): () => void {
    this.emitter.on("event", fn);
    return () => this.emitter.off("event", fn);
  }

  setBaseUrl(url: string): void {
    this.baseUrl = url;
  }

  bootUrl(mac: Mac): string {
    return `${this.baseUrl}/boot/${macForUrl(mac)}.ipxe`;
  }

  private view(m: MachineRecord): MachineView {
    return toView(m, this.bootUrl(m.mac));
  }

  // ---- the control side ----------------------------------------------------------------

  /**
   * Idempotent upsert. The same registration again changes nothing (same generation, same
   * token). A changed one updates the files for the next boot but keeps the generation: only
   * a rearm starts a new install.
   */
  async upsert(mac: Mac, reg: Registration): Promise<{ machine: MachineView; created: boolean }> {
    for (const field of ["kernel", "initrd"] as const) {
      if (await insideDir(reg[field], this.opts.stateDir)) {
        throw new InvalidRegistration(
          field,
          `${field}: ${reg[field]} is inside the state directory, which holds install tokens and keys`,
        );
      }
    }
    const existing = this.machines.get(mac);
    if (!existing) {
      const m = newRecord(mac, reg, now());
      this.machines.set(mac, m);
      // The record goes to the journal before its first event, which replay would drop.
      const saved = this.store.putMachine(m);
      this.record(m, "registered", {});
      await saved;
      return { machine: this.view(m), created: true };
    }
    if (applyRegistration(existing, reg)) this.record(existing, "updated", {});
    await this.store.putMachine(existing);
    return { machine: this.view(existing), created: false };
  }

  async remove(mac: Mac): Promise<boolean> {
    const m = this.machines.get(mac);
    if (!m) return false;
    this.machines.delete(mac);
    this.emit({ at: now(), mac, generation: m.generation, type: "removed", state: m.state });
    this.updateGauge();
    await this.store.removeMachine(mac);
    return true;
  }

  /** A new generation: new token, back to `registered`, so the machine installs again. */
  async rearm(mac: Mac): Promise<MachineView | null> {
    const m = this.machines.get(mac);
    if (!m) return null;
    m.generation += 1;
    m.token = newInstallToken();
    Object.assign(m, {
      phase: null,
      progress: null,
      failure: null,
      hostPublicKey: null,
      bootStartedAt: null,
      armedAt: now(),
    });
    m.state = "registered";
    this.record(m, "rearmed", {});
    await this.store.putMachine(m);
    return this.view(m);
  }

  /**
   * Resolves when the machine reaches `state` (or `failed`, which ends any wait), or with
   * `reached: false` after `timeoutMs`. Null when the machine is unknown or removed.
   */
  waitFor(
    mac: Mac,
    state: MachineState,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ reached: boolean; machine: MachineView | null }> {
    const done = (m: MachineRecord | undefined) => !m || m.state === state || m.state === "failed";
    const current = this.machines.get(mac);
    if (done(current))
      return Promise.resolve({ reached: !!current, machine: current ? this.view(current) : null });
    return new Promise((resolve) => {
      const finish = (reached: boolean) => {
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener("abort", onAbort);
        const m = this.machines.get(mac);
        resolve({ reached, machine: m ? this.view(m) : null });
      };
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      const unsubscribe = this.subscribe((e) => {
        if (e.mac === mac && done(this.machines.get(mac))) finish(this.machines.has(mac));
      });
      signal?.addEventListener("abort", onAbort);
    });
  }

  // ---- the boot side (BootOracle) ------------------------------------------------------

  bootFor(mac: Mac): BootPlan {
    const m = this.machines.get(mac);
    if (!m) return this.opts.answerUnknown ? { kind: "local", mac } : { kind: "none" };
    if (m.state === "installed")
      return this.opts.afterInstall === "ignore" ? { kind: "none" } : { kind: "local", mac };
    // A failed machine is not offered the installer again on its own, or a broken job would
    // loop forever; like an installed one it boots locally (or is ignored) until rearmed.
    if (m.state === "failed")
      return this.opts.afterInstall === "ignore" ? { kind: "none" } : { kind: "local", mac };
    return { kind: "install", mac, generation: m.generation };
  }

  noteBootStep(mac: Mac, step: BootStep): void {
    const m = this.machines.get(mac);
    if (!m) return;
    const { type, ...details } = step;
    if (type === "dhcp" && m.bootStartedAt === null) {
      this.opts.metrics.dhcpFirstAnswerSeconds.observe(
        (Date.now() - Date.parse(m.armedAt ?? m.registeredAt)) / 1000,
      );
    }
    const started = m.bootStartedAt;
    this.startInstallClock(m);
    this.record(m, type, details);
    if (m.bootStartedAt !== started) this.saveQuietly(m);
  }

  /** The LAN HTTP server saw the script, kernel or initrd fetched: the machine is booting. */
  noteHttpStep(mac: Mac, type: "script" | "kernel" | "initrd", details: EventDetails = {}): void {
    const m = this.machines.get(mac);
    if (!m) return;
    const before = { started: m.bootStartedAt, state: m.state };
    this.startInstallClock(m);
    if (m.state === "registered") this.move(m, "booting");
    this.record(m, type, details);
    if (m.bootStartedAt !== before.started || m.state !== before.state) this.saveQuietly(m);
  }

  /** The full record (token, file paths) the LAN HTTP server renders scripts and files from. */
  recordFor(mac: Mac): Readonly<MachineRecord> | null {
    return this.machines.get(mac) ?? null;
  }

  // ---- the installer's callbacks -------------------------------------------------------

  /** Checks the Bearer token against the current generation's; throws CallbackRefused. */
  authorize(mac: Mac, token: string | null): MachineRecord {
    const m = this.machines.get(mac);
    if (!m) throw new CallbackRefused(404, `machine ${mac} is not registered`);
    const a = Buffer.from(token ?? "");
    const b = Buffer.from(m.token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new CallbackRefused(403, `wrong or outdated install token for ${mac}`);
    }
    return m;
  }

  /** The job for the installer; the private host key only while booting or installing. */
  async fetchJob(mac: Mac, token: string | null) {
    const m = this.authorize(mac, token);
    if (m.state === "installed" || m.state === "failed") {
      throw new CallbackRefused(409, `machine ${mac} is ${m.state}; rearm it to install again`);
    }
    this.startInstallClock(m);
    this.move(m, "installing");
    this.record(m, "job", {});
    await this.store.putMachine(m);
    return {
      mac: m.mac,
      generation: m.generation,
      hostname: m.hostname,
      installationHostKey: { ...m.installationHostKey },
      job: m.job ?? { steps: [] },
    };
  }

  async progress(
    mac: Mac,
    token: string | null,
    p: { phase: string; message?: string; progress?: number },
  ): Promise<MachineView> {
    const m = this.authorize(mac, token);
    this.refuseEnded(m);
    this.move(m, "installing");
    m.phase = p.phase;
    if (p.progress !== undefined) m.progress = p.progress;
    this.record(m, "progress", { ...p });
    await this.store.putMachine(m);
    return this.view(m);
  }

  async complete(
    mac: Mac,
    token: string | null,
    hostPublicKey: string | null,
  ): Promise<MachineView> {
    const m = this.authorize(mac, token);
    if (m.state === "installed") return this.view(m); // a retried callback
    this.refuseEnded(m);
    m.hostPublicKey = hostPublicKey;
    m.progress = 100;
    m.phase = "installed";
    if (m.bootStartedAt)
      this.opts.metrics.installSeconds.observe((Date.now() - Date.parse(m.bootStartedAt)) / 1000);
    this.move(m, "installed");
    this.record(m, "complete", hostPublicKey ? { hostPublicKey } : {});
    await this.store.putMachine(m);
    this.startHook(m);
    return this.view(m);
  }

  async failed(
    mac: Mac,
    token: string | null,
    message: string,
    log: string | null,
  ): Promise<MachineView> {
    const m = this.authorize(mac, token);
    if (m.state === "failed") return this.view(m);
    this.refuseEnded(m);
    m.failure = { message, log };
    this.move(m, "failed");
    this.record(m, "failed", { message, log });
    await this.store.putMachine(m);
    return this.view(m);
  }

  // ---- internals -----------------------------------------------------------------------

  /** The first boot step of a generation (DHCP answer, file, script or job) starts its install clock. */
  private startInstallClock(m: MachineRecord): void {
    if (m.bootStartedAt === null && m.state !== "installed" && m.state !== "failed")
      m.bootStartedAt = now();
  }

  private refuseEnded(m: MachineRecord): void {
    if (m.state === "installed" || m.state === "failed")
      throw new CallbackRefused(
        409,
        `machine ${m.mac} is already ${m.state} in generation ${m.generation}`,
      );
  }

  private move(m: MachineRecord, to: MachineState): void {
    if (m.state === to || !canMove(m.state, to)) return;
    const from = m.state;
    m.state = to;
    this.record(m, "state", { from });
    this.updateGauge();
  }

  /**
   * Runs for every script and file fetch, so it is kept cheap: the fixed fields come first in
   * the literal (a spread first gave every event a freshly built shape, about 100 times
   * slower: 5 us an event, a third of a script request); the history coalesces repeats and
   * the journal takes one line, committed with others.
   */
  private record(m: MachineRecord, type: EventType, details: EventDetails): void {
    const e: MachineEvent = {
      at: now(),
      mac: m.mac,
      generation: m.generation,
      type,
      state: m.state,
      ...details,
    };
    m.updatedAt = e.at;
    appendHistory(m.events, e);
    this.store.appendEvent(e);
    this.emit(e);
  }

  private emit(e: MachineEvent): void {
    for (const fn of this.emitter.listeners("event") as ((e: MachineEvent) => void)[]) {
      try {
        fn(e);
      } catch (err) {
        this.opts.log.error({ err }, "event subscriber threw");
      }
    }
  }

  private updateGauge(): void {
    const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<MachineState, number>;
    for (const m of this.machines.values()) counts[m.state] += 1;
    for (const s of STATES) this.opts.metrics.machines.set({ state: s }, counts[s]);
  }

  /** A record change no caller waits for (a boot step's state or install clock). */
  private saveQuietly(m: MachineRecord): void {
    this.store.patchMachine({ mac: m.mac, state: m.state, bootStartedAt: m.bootStartedAt });
  }

  /** `hooks.onInstalled`, in the background: it never blocks the appliance. */
  private startHook(m: MachineRecord): void {
    const command = this.opts.onInstalled;
    if (!command) return;
    const input = JSON.stringify(this.view(m)) + "\n";
    const p = runHook(command, input, HOOK_TIMEOUT_MS).then((r) => {
      const ok = r.error === null && r.exitCode === 0;
      this.opts.log[ok ? "info" : "warn"](
        { mac: m.mac, hook: command, ...r },
        "onInstalled hook finished",
      );
      const cur = this.machines.get(m.mac);
      if (cur) {
        this.record(cur, "hook", {
          exitCode: r.exitCode,
          ok,
          ms: r.ms,
          output: r.output.slice(-2000),
          error: r.error,
        });
      }
    });
    this.pendingHooks.add(p);
    void p.finally(() => this.pendingHooks.delete(p));
  }
}
