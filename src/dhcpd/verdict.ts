/**
 * What a message handler (offer.ts, request.ts, give-back.ts) is given and what it
 * returns. A handler reads the configuration and the registry's reservations and changes
 * only the lease table; the runner acts on the verdict.
 */
import type { Mac } from "../core/mac.js";
import type { Ip4 } from "../core/ipv4.js";
import type { Reservations } from "../registry/doors.js";
import type { ServerConfig, Subnet } from "./config.js";
import type { LeaseRecord } from "./lease.js";
import type { LeaseTable } from "./lease-table.js";

export type Verdict =
  | {
      readonly kind: "offer";
      readonly ip: Ip4;
      readonly subnet: Subnet;
      /** A fresh pool address: the runner pings it, then calls probed(). */
      readonly probe: boolean;
    }
  | {
      readonly kind: "ack";
      readonly ip: Ip4;
      readonly subnet: Subnet;
      /** To be made durable before the ACK leaves. */
      readonly durable: LeaseRecord;
    }
  | { readonly kind: "inform"; readonly subnet: Subnet }
  | { readonly kind: "nak"; readonly reason: string }
  | { readonly kind: "silent"; readonly reason: string; readonly durable?: LeaseRecord };

export interface EngineState {
  readonly config: ServerConfig;
  readonly reservations: Reservations;
  /** The appliance's address: option 54 of every reply. */
  readonly serverId: Ip4;
  readonly table: LeaseTable;
}

/** `ip` is some other machine's reservation. */
export function reservedForOther(e: EngineState, ip: Ip4, mac: Mac): boolean {
  const owner = e.reservations.reservedBy(ip);
  return owner !== null && owner !== mac;
}
