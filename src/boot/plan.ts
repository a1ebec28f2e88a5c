import type { Mac } from "../core/mac.js";

/**
 * The one question every network server asks the registry: "what does this MAC boot now?"
 * Servers own sockets and timers; the registry alone owns state and policy.
 */
export type BootPlan =
  /** Armed: hand it iPXE, then the installer script. */
  | { readonly kind: "install"; readonly mac: Mac; readonly generation: number }
  /** Installed, `afterInstall: "local-boot"`: answer, the script says `exit`. */
  | { readonly kind: "local"; readonly mac: Mac }
  /** Unknown, or installed with `afterInstall: "ignore"`: stay silent. */
  | { readonly kind: "none" };

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
    };

export interface BootOracle {
  bootFor(mac: Mac): BootPlan;
  /** Record a step for a MAC; unknown MACs are ignored. Never throws. */
  noteBootStep(mac: Mac, step: BootStep): void;
}
