import type { BootPlan, BootStep } from "../boot/plan.js";
import { NO_URLS, type BootUrls } from "../boot/urls.js";
import type { AfterInstall } from "../config/config.js";
import type { Logger } from "../core/log.js";
import type { Mac } from "../core/mac.js";
import type { Metrics } from "../core/metrics.js";
import type { FileRoots } from "../core/files.js";
import { Refusal } from "../core/refusal.js";
import type { Power, PowerAction, PowerOutcome } from "../power/power.js";
import type { Ip4 } from "../core/ipv4.js";
import { addressEvent, claimAddress } from "./addresses.js";
import { MachineBook } from "./book.js";
import { Change, now } from "./change.js";
import type {
  BootOracle,
  ControlDoor,
  DiscoveredClient,
  DiscoveryEvent,
  InstallerDoor,
  InstallSession,
  Reservations,
  Sighting,
  SightingSink,
} from "./doors.js";
import { openSession } from "./installer.js";
import type {
  MachineEvent,
  MachineRecord,
  MachineState,
  MachineView,
  Registration,
} from "./machine.js";
import { MachinePower, type PoweredMachine } from "./power.js";
import { applyRegistration, newInstallToken, newRecord, toView } from "./record.js";
import { InvalidRegistration } from "./registration.js";
import { Sightings } from "./sightings.js";

export { EVENTS_KEPT } from "./history.js";

export interface RegistryOptions {
  stateDir: string;
  afterInstall: AfterInstall;
  answerUnknown: boolean;
  onInstalled: readonly string[] | null;
  /** Where registered kernels and initrds may lie (`servedFileRoots(config)`). */
  files: FileRoots;
  log: Logger;
  metrics: Metrics;
  /** Drives machines' BMCs; null: Landscaper never touches power. */
  power?: Power | null;
  /** How long an automatic power action waits for a newer one (default 1000 ms). */
  powerSettleMs?: number;
}

/**
 * The machine registry: the only owner of machine state and of boot policy. Every change it
 * acknowledges is on disk before it takes effect (src/registry/book.ts); one that cannot be
 * written is refused (StateWriteFailed) and changes nothing. It opens four doors (src/registry/
 * doors.ts): the boot oracle for the servers, the installer door, the control door, and the
 * address reservations for the DHCP server.
 */
export class Registry
  implements BootOracle, InstallerDoor, ControlDoor, Reservations, SightingSink
{
  private readonly book: MachineBook;
  private readonly machinePower: MachinePower;
  /** Unregistered network-boot clients the DHCP server saw (src/registry/sightings.ts). */
  private readonly sightings: Sightings;
  /** Where the LAN HTTP server listens; set once it has bound. */
  private urls: BootUrls = NO_URLS;

  constructor(private readonly opts: RegistryOptions) {
    this.book = new MachineBook(opts.stateDir, opts.log, opts.metrics);
    this.machinePower = new MachinePower(this.book, opts.power ?? null, opts.powerSettleMs ?? 1000);
    this.sightings = new Sightings({ metrics: opts.metrics });
    this.book.subscribe((e) => {
      if (e.type === "registered") this.sightings.forget(e.mac);
    });
  }

  load(): Promise<void> {
    return this.book.load();
  }

  /** Waits for running hooks and power actions, and the last write. */
  close(): Promise<void> {
    return this.book.close();
  }

  /** The LAN HTTP server's bound address: boot URLs and install command lines name it. */
  useUrls(urls: BootUrls): void {
    this.urls = urls;
  }

  // ---- reading -------------------------------------------------------------------------

  list(): MachineView[] {
    return [...this.book.machines.values()]
      .sort((a, b) => a.mac.localeCompare(b.mac))
      .map((m) => this.view(m));
  }

  get(mac: Mac): MachineView | null {
    const m = this.book.machines.get(mac);
    return m ? this.view(m) : null;
  }

  subscribe(fn: (e: MachineEvent) => void): () => void {
    return this.book.subscribe(fn);
  }

  private view(m: MachineRecord): MachineView {
    return toView(m, this.urls.script(m.mac));
  }

  // ---- the control side ----------------------------------------------------------------

  /**
   * Idempotent upsert. The same registration again changes nothing (same generation, same
   * token). A changed one updates the files for the next boot but keeps the generation: only
   * a rearm starts a new install.
   */
  async upsert(mac: Mac, reg: Registration): Promise<{ machine: MachineView; created: boolean }> {
    for (const field of ["kernel", "initrd"] as const) {
      const why = await this.opts.files.refusal(reg[field]);
      if (why !== null) throw new InvalidRegistration(field, `${field}: ${why}`);
    }
    const { machine, created } = await this.book.exclusive(mac, async () => {
      const existing = this.book.machines.get(mac);
      // Refused (409, naming the holder) before anything is written; held until it is.
      const release = claimAddress(this.book.addresses, this.book.machines, mac, reg.ipv4);
      try {
        const c = existing ? Change.of(existing) : new Change(newRecord(mac, reg, now()));
        const address = addressEvent(existing?.ipv4 ?? null, reg.ipv4);
        if (!existing) c.record("registered", address);
        else if (applyRegistration(c.m, reg)) c.record("updated", address);
        await this.book.save(c);
        return { machine: c.m, created: !existing };
      } finally {
        release();
      }
    });
    // Power follows what is on disk: a refused write powers nothing.
    this.machinePower.after(machine, created ? "registration" : "reapply");
    return { machine: this.view(machine), created };
  }

  remove(mac: Mac): Promise<boolean> {
    return this.book.exclusive(mac, async () => {
      const m = this.book.machines.get(mac);
      if (!m) return false;
      await this.book.remove(m);
      return true;
    });
  }

  /** A new generation: new token, back to `registered`, so the machine installs again. */
  rearm(mac: Mac): Promise<MachineView | null> {
    return this.book.exclusive(mac, async () => {
      const m = this.book.machines.get(mac);
      if (!m) return null;
      const c = Change.of(m);
      Object.assign(c.m, {
        generation: m.generation + 1,
        token: newInstallToken(),
        state: "registered",
        phase: null,
        progress: null,
        failure: null,
        hostPublicKey: null,
        bootStartedAt: null,
        keyHandedOutAt: null,
        armedAt: now(),
      });
      c.record("rearmed", {});
      await this.book.save(c);
      this.machinePower.after(c.m, "rearm");
      return this.view(c.m);
    });
  }

  /**
   * An operator's power action on a machine's BMC: null for an unknown machine, a Refusal
   * (409) when it has no BMC, a PowerError when the BMC did not do it. Recorded either way.
   */
  async power(
    mac: Mac,
    action: PowerAction,
    opts: { pxeOnce?: boolean } = {},
  ): Promise<PowerOutcome | null> {
    const m = this.book.machines.get(mac);
    if (!m) return null;
    if (!m.bmc) throw new Refusal(409, `machine ${mac} has no BMC`);
    if (!this.machinePower.enabled)
      throw new Refusal(409, "power actions are not enabled on this appliance");
    return this.machinePower.request(m as PoweredMachine, action, opts);
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
    const machines = this.book.machines;
    const done = (m: MachineRecord | undefined) => !m || m.state === state || m.state === "failed";
    const current = machines.get(mac);
    if (done(current))
      return Promise.resolve({ reached: !!current, machine: current ? this.view(current) : null });
    return new Promise((resolve) => {
      const finish = (reached: boolean) => {
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener("abort", onAbort);
        const m = machines.get(mac);
        resolve({ reached, machine: m ? this.view(m) : null });
      };
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      const unsubscribe = this.subscribe((e) => {
        if (e.mac === mac && done(machines.get(mac))) finish(machines.has(mac));
      });
      signal?.addEventListener("abort", onAbort);
    });
  }

  // ---- the DHCP server's reservations (Reservations) ------------------------------------

  reservedFor(mac: Mac): Ip4 | null {
    return this.book.addresses.reservedFor(mac);
  }

  reservedBy(ip: Ip4): Mac | null {
    return this.book.addresses.reservedBy(ip);
  }

  // ---- the boot side (BootOracle) ------------------------------------------------------

  bootFor(mac: Mac): BootPlan {
    const m = this.book.machines.get(mac);
    if (!m)
      return this.opts.answerUnknown
        ? { kind: "local", mac, script: "unknown" }
        : { kind: "none", script: "unknown" };
    // A failed machine is not offered the installer again on its own, or a broken job would
    // loop forever; like an installed one it boots locally (or is ignored) until rearmed.
    if (m.state === "installed" || m.state === "failed")
      return this.opts.afterInstall === "ignore"
        ? { kind: "none", script: "local" }
        : { kind: "local", mac, script: "local" };
    const base = this.urls.base;
    const params = `landscaper.url=${base} landscaper.token=${m.token} landscaper.mac=${mac}`;
    return {
      kind: "install",
      mac,
      generation: m.generation,
      script: "install",
      spec: {
        kernel: m.kernel,
        initrd: m.initrd,
        kernelUrl: this.urls.nbp(mac, "kernel"),
        initrdUrl: this.urls.nbp(mac, "initrd"),
        cmdline: m.cmdline ? `${m.cmdline} ${params}` : params,
      },
    };
  }

  noteBootStep(mac: Mac, step: BootStep): void {
    const { type, ...details } = step;
    this.book.step(mac, (c) => {
      const m = c.m;
      // Neither is a boot step: no install clock (an installed machine renews its lease).
      if (type === "warning" || type === "dhcp-lease") return c.record(type, details);
      if (type === "dhcp" && m.bootStartedAt === null) {
        this.opts.metrics.dhcpFirstAnswerSeconds.observe(
          (Date.now() - Date.parse(m.armedAt ?? m.registeredAt)) / 1000,
        );
      }
      c.startInstallClock();
      // Only the install script, which the LAN HTTP server hands to the machine alone, says
      // the machine is booting; a kernel or initrd fetch (a Range GET of a byte) is anyone's.
      if (type === "script" && step.script === "install" && m.state === "registered")
        c.move("booting");
      c.record(type, details);
    });
  }

  // ---- discovery (SightingSink, DiscoveryFeed) ---------------------------------------

  /** A DHCP server saw a network-boot client; remembered only while its MAC is unregistered. */
  sighted(s: Sighting): void {
    if (!this.book.machines.has(s.mac)) this.sightings.sighted(s);
  }

  discovered(): DiscoveredClient[] {
    return this.sightings.discovered();
  }

  subscribeDiscovered(fn: (e: DiscoveryEvent) => void): () => void {
    return this.sightings.subscribe(fn);
  }

  // ---- the installer side (InstallerDoor) ----------------------------------------------

  session(mac: Mac, token: string | null): InstallSession {
    return openSession(
      { book: this.book, view: (m) => this.view(m), onInstalled: this.opts.onInstalled },
      mac,
      token,
    );
  }
}
