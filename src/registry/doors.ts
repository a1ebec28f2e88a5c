/**
 * The registry's doors: what each caller may ask of it. Servers, the control API and the
 * status page import these interfaces, never the `Registry` class, so each sees only its
 * own door and a test can stand in for the registry with a plain object.
 */
import type { Job } from "../boot/job.js";
import type { BootOracle } from "../boot/plan.js";
import type { Mac } from "../core/mac.js";
import type { Ip4 } from "../core/ipv4.js";
import type { SshKeyPair } from "../core/openssh-keys.js";
import { Refusal } from "../core/refusal.js";
import type { PowerAction, PowerOutcome } from "../power/power.js";
import type { MachineEvent, MachineState, MachineView, Registration } from "./machine.js";

export type { BootOracle };

/** Why an installer callback was refused: unknown machine, wrong token, or an ended install. */
export class CallbackRefused extends Refusal {
  override name = "CallbackRefused";
  declare readonly status: 403 | 404 | 409;
  constructor(status: 403 | 404 | 409, message: string) {
    super(status, message);
  }
}

/** What the installer agent is told to do (`GET /v1/installs/MAC/job`). */
export interface InstallJob {
  readonly mac: Mac;
  readonly generation: number;
  readonly hostname: string | null;
  readonly installationHostKey: SshKeyPair;
  readonly job: Job;
}

export interface InstallProgress {
  readonly phase: string;
  readonly message?: string;
  readonly progress?: number;
}

/**
 * One installer's calls for one MAC and one generation, its token already checked. A call
 * after a rearm (new generation) or removal is refused as the token check would refuse it.
 */
export interface InstallSession {
  readonly mac: Mac;
  readonly generation: number;
  /** The job; the private host key only while booting or installing. */
  fetchJob(): Promise<InstallJob>;
  progress(p: InstallProgress): Promise<MachineView>;
  complete(hostPublicKey: string | null): Promise<MachineView>;
  failed(message: string, log: string | null): Promise<MachineView>;
}

/** The installer agent's door: the Bearer token is checked here, once, before any body is read. */
export interface InstallerDoor {
  /**
   * Throws CallbackRefused: 404 unknown MAC, 403 wrong or outdated token, or a token whose
   * install has ended (installed or failed).
   */
  session(mac: Mac, token: string | null): InstallSession;
}

/** Read-only, live: the status page and the control API's listings. */
export interface MachineFeed {
  list(): MachineView[];
  get(mac: Mac): MachineView | null;
  subscribe(fn: (e: MachineEvent) => void): () => void;
}

/** The control API's door (CLI and NixOps4 provider). */
export interface ControlDoor extends MachineFeed, DiscoveryFeed {
  upsert(mac: Mac, reg: Registration): Promise<{ machine: MachineView; created: boolean }>;
  remove(mac: Mac): Promise<boolean>;
  rearm(mac: Mac): Promise<MachineView | null>;
  /** Null: unknown machine. Throws a Refusal (no BMC) or a PowerError (the BMC failed). */
  power(mac: Mac, action: PowerAction, opts?: { pxeOnce?: boolean }): Promise<PowerOutcome | null>;
  waitFor(
    mac: Mac,
    state: MachineState,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ reached: boolean; machine: MachineView | null }>;
}

/** Everything the LAN HTTP server may ask. */
export interface LanDoors {
  readonly boot: BootOracle;
  readonly installer: InstallerDoor;
}

/**
 * The registry's address reservations (a machine's `ipv4`), as the DHCP server asks them:
 * which address a MAC must get, and whose an address is.
 */
export interface Reservations {
  /** The IPv4 address reserved for this MAC, or null. */
  reservedFor(mac: Mac): Ip4 | null;
  /** The MAC an address is reserved for, or null. */
  reservedBy(ip: Ip4): Mac | null;
}

/**
 * Discovery: an unregistered network-boot client seen by the DHCP server (either mode).
 * `kind` is the client kind of `dhcp/codec/client.ts` without "none" (only network-boot
 * clients are remembered).
 */
export interface Sighting {
  readonly mac: Mac;
  readonly kind: "ipxe" | "pxe" | "http";
  /** RFC 4578 architecture, or null when the client did not say. */
  readonly arch: number | null;
  /** Option 60 as sent, or null. */
  readonly vendorClass: string | null;
}

/** Where the DHCP servers report unregistered clients. Called per packet: must stay O(1). */
export interface SightingSink {
  sighted(s: Sighting): void;
}

/** An unregistered network-boot client as remembered: the latest sighting and its tally. */
export interface DiscoveredClient extends Sighting {
  /** ISO times of the first and the latest sighting since it was (last) remembered. */
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** Sightings (DHCP packets) since then. */
  readonly count: number;
}

/**
 * On `/v1/events` beside the machine events: a client seen for the first time (or again
 * after it was dropped). Rate-limited: under a flood of new MACs most go unannounced.
 */
export interface DiscoveryEvent {
  readonly at: string;
  readonly type: "discovered";
  readonly mac: Mac;
  readonly kind: Sighting["kind"];
  readonly arch: number | null;
  readonly vendorClass: string | null;
}

/** Read-only, live: the unregistered clients seen (control API, status page, CLI). */
export interface DiscoveryFeed {
  /** Newest (last seen) first. */
  discovered(): DiscoveredClient[];
  subscribeDiscovered(fn: (e: DiscoveryEvent) => void): () => void;
}
