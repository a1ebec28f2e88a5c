import type { Mac } from "../core/mac.js";

/** Which iPXE script the LAN HTTP server sends for a MAC. */
export type ScriptKind =
  /** Armed: fetch the installer and boot it. */
  | "install"
  /** Registered but not armed (installed, failed, or ignored): `exit` to the next boot device. */
  | "local"
  /** Not registered: a 404 script that says so. */
  | "unknown";

/** Everything a server needs to boot an armed machine's installer, already resolved. */
export interface InstallSpec {
  /** Paths on the appliance, served only while the machine is armed. */
  readonly kernel: string;
  readonly initrd: string;
  /** Where the iPXE script fetches them. */
  readonly kernelUrl: string;
  readonly initrdUrl: string;
  /** The registered command line plus `landscaper.url`, `landscaper.token`, `landscaper.mac`. */
  readonly cmdline: string;
}

/**
 * The one question every network server asks the registry, once per request: "what does
 * this MAC boot now?" Servers own sockets and timers; the registry alone owns state and
 * policy, so the answer carries all a server needs and no server asks twice.
 */
export type BootPlan =
  /** Armed: hand it iPXE, then the installer script. */
  | {
      readonly kind: "install";
      readonly mac: Mac;
      readonly generation: number;
      readonly script: "install";
      readonly spec: InstallSpec;
    }
  /** Installed, `afterInstall: "local-boot"` (or unknown with `answerUnknown`): answer, the script says `exit`. */
  | { readonly kind: "local"; readonly mac: Mac; readonly script: "local" | "unknown" }
  /** Unknown, or installed with `afterInstall: "ignore"`: DHCP stays silent. */
  | { readonly kind: "none"; readonly script: "local" | "unknown" };

/** The plan for a MAC nobody registered (for test and bench oracles). */
export const UNKNOWN: BootPlan = { kind: "none", script: "unknown" };

/** A boot step a server saw; becomes an event on the machine when the MAC is known. */
export type BootStep =
  | {
      readonly type: "dhcp";
      readonly clientKind: string;
      readonly arch: number | null;
      readonly file: string | null;
      readonly port: number;
    }
  | {
      readonly type: "tftp";
      readonly file: string;
      readonly bytes: number;
      readonly outcome: string;
      readonly ms: number;
    }
  /** The LAN HTTP server sent the script: the machine is booting. */
  | { readonly type: "script"; readonly script: ScriptKind }
  /**
   * Something the machine's owner must see: its install script asked for by a client that
   * is not the machine (`owner`: whose address it is, when known).
   */
  | {
      readonly type: "warning";
      readonly reason: "script-refused";
      readonly client: string | null;
      readonly owner: Mac | null;
    }
  /** Server mode's DHCP gave, took back or found in use the machine's address. */
  | {
      readonly type: "dhcp-lease";
      readonly lease: "ack" | "released" | "declined" | "in use";
      readonly ip: string;
      /** An ACK's lease runs out at this time (ISO 8601) unless the machine renews it. */
      readonly until?: string;
    }
  /** The LAN HTTP server sent (part of) the kernel or initrd. */
  | {
      readonly type: "kernel" | "initrd";
      readonly bytes: number;
      readonly status: number;
    };

/** What the DHCP, TFTP and HTTP boot routes see of the registry. */
export interface BootOracle {
  bootFor(mac: Mac): BootPlan;
  /** Record a step for a MAC; unknown MACs are ignored. Never throws. */
  noteBootStep(mac: Mac, step: BootStep): void;
}
