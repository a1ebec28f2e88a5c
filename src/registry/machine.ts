import type { Ip4 } from "../core/ipv4.js";
import type { Mac } from "../core/mac.js";
import type { SshKeyPair } from "../core/openssh-keys.js";
import type { Job } from "../boot/job.js";
import type { Bmc } from "../power/bmc.js";

export const STATES = ["registered", "booting", "installing", "installed", "failed"] as const;
export type MachineState = (typeof STATES)[number];

export type EventType =
  | "registered"
  | "updated"
  | "rearmed"
  | "removed"
  | "state"
  | "dhcp"
  /** Server mode's lease for the machine: `lease` ack, released, declined, in use; `ip`. */
  | "dhcp-lease"
  | "tftp"
  | "script"
  | "kernel"
  | "initrd"
  | "job"
  | "progress"
  | "complete"
  | "failed"
  | "hook"
  /** Something that may mean a secret leaked: a refused script, a second key fetch. */
  | "warning"
  | "power";

/** One thing that happened to a machine; kept per machine (bounded) and streamed. */
export interface MachineEvent {
  at: string;
  mac: Mac;
  generation: number;
  type: EventType;
  state: MachineState;
  [detail: string]: unknown;
}

/** What a registration asks for (the control API's PUT body, checked). */
export interface Registration {
  kernel: string;
  initrd: string;
  cmdline: string;
  hostname: string | null;
  job: Job | null;
  installationHostKey: SshKeyPair | null;
  /** How to reach the machine's BMC; null: Landscaper does not drive its power. */
  bmc: Bmc | null;
  /** The address Landscaper's DHCP server (server mode) always gives it; null: none reserved. */
  ipv4: Ip4 | null;
}

/** A machine as stored on disk: everything, secrets included. */
export interface MachineRecord {
  mac: Mac;
  kernel: string;
  initrd: string;
  cmdline: string;
  hostname: string | null;
  job: Job | null;
  /** Whether the host key came with the registration (else Landscaper generated it). */
  hostKeyGiven: boolean;
  installationHostKey: SshKeyPair;
  generation: number;
  token: string;
  state: MachineState;
  phase: string | null;
  progress: number | null;
  failure: { message: string; log: string | null } | null;
  hostPublicKey: string | null;
  registeredAt: string;
  updatedAt: string;
  /** When this generation first booted; the install duration metric starts here. */
  bootStartedAt: string | null;
  /**
   * When this generation's installation host key was handed out (it is handed out once);
   * null or absent: not yet.
   */
  keyHandedOutAt?: string | null;
  /** The machine's BMC (never its password: only the file's path); absent in older state files. */
  bmc?: Bmc | null;
  /** Its reserved address (a number, as the index keys it); absent in older state files. */
  ipv4?: Ip4 | null;
  /** When this generation was armed (registration or rearm); absent in older state files. */
  armedAt?: string;
  events: MachineEvent[];
}

/** The fields every view of a machine starts with, in this order. */
export const HEADLINE = ["mac", "hostname", "state", "generation", "phase", "progress"] as const;
export type Headline = (typeof HEADLINE)[number];

/**
 * The one machine shape callers see: the record without the token, the private key and the
 * clock fields, plus the boot URL. Every narrower shape (status page, watch, provider) is a
 * `Pick` of this one, in ./views.ts.
 */
export type MachineView = Pick<
  MachineRecord,
  | Headline
  | "failure"
  | "hostPublicKey"
  | "kernel"
  | "initrd"
  | "cmdline"
  | "job"
  | "registeredAt"
  | "updatedAt"
  | "events"
> & {
  /** The per-MAC iPXE script URL (what the provider outputs and DHCP hands iPXE). */
  bootUrl: string;
  installationHostPublicKey: string;
  bmc: Bmc | null;
  /** The reserved address, dotted ("10.0.0.5"), or null. */
  ipv4: string | null;
  /** Server mode: the address leased and not given back, from `events` (views.ts leasedIpv4). */
  leasedIpv4: string | null;
};

/**
 * Which moves the installer's own reports may make. `installed` and `failed` end a
 * generation: only a rearm (a new generation) leaves them.
 */
const FORWARD: Record<MachineState, readonly MachineState[]> = {
  registered: ["booting", "installing", "installed", "failed"],
  booting: ["installing", "installed", "failed"],
  installing: ["installed", "failed"],
  installed: [],
  failed: [],
};

export function canMove(from: MachineState, to: MachineState): boolean {
  return from === to || FORWARD[from].includes(to);
}
