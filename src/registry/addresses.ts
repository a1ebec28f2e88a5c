/**
 * Address reservations: the registry's index of its machines' `ipv4` (which address a MAC
 * must get, and whose an address is) for the DHCP server, O(1) both ways, and the rule that
 * one address belongs to one machine at most.
 *
 * The index follows what is on disk: the book sets a machine's address as its change is
 * applied (after the write), and rebuilds the index at load from the snapshot and journal.
 * A change being written holds a claim on its new address, so two registrations racing for
 * one address cannot both pass the check before either is written.
 */
import { formatIp4, type Ip4 } from "../core/ipv4.js";
import type { Mac } from "../core/mac.js";
import { Refusal } from "../core/refusal.js";
import type { EventDetails } from "./change.js";
import type { Reservations } from "./doors.js";
import type { MachineRecord } from "./machine.js";

export class AddressIndex implements Reservations {
  private readonly byIp = new Map<Ip4, Mac>();
  private readonly byMac = new Map<Mac, Ip4>();
  /** Addresses of changes being written, and the machine each will belong to. */
  private readonly claims = new Map<Ip4, Mac>();

  reservedFor(mac: Mac): Ip4 | null {
    return this.byMac.get(mac) ?? null;
  }

  reservedBy(ip: Ip4): Mac | null {
    return this.byIp.get(ip) ?? null;
  }

  /**
   * A machine's address as written (null: none, or the machine is gone); its old address
   * is free again. Returns the machine that already holds `ip` (which keeps it: only a
   * hand-edited state file can have two), else null.
   */
  set(mac: Mac, ip: Ip4 | null): Mac | null {
    const old = this.byMac.get(mac);
    if (old === ip) return null;
    if (old !== undefined) {
      this.byMac.delete(mac);
      this.byIp.delete(old);
    }
    if (ip === null) return null;
    const holder = this.byIp.get(ip);
    if (holder !== undefined) return holder;
    this.byIp.set(ip, mac);
    this.byMac.set(mac, ip);
    return null;
  }

  /**
   * Takes `ip` for `mac` while its change is written. Returns the release (call it once
   * the write has ended, whichever way), or the other machine that holds or claims `ip`.
   */
  claim(mac: Mac, ip: Ip4): (() => void) | { other: Mac } {
    const other = this.byIp.get(ip) ?? this.claims.get(ip);
    if (other !== undefined && other !== mac) return { other };
    if (other === mac) return () => undefined; // its own already
    this.claims.set(ip, mac);
    return () => {
      if (this.claims.get(ip) === mac) this.claims.delete(ip);
    };
  }
}

/** Why a registration may not have the address another machine has. */
export class AddressTaken extends Refusal {
  override name = "AddressTaken";
  constructor(ip: Ip4, other: MachineRecord | Mac) {
    const mac = typeof other === "string" ? other : other.mac;
    const name = typeof other === "string" ? null : other.hostname;
    super(
      409,
      `ipv4: ${formatIp4(ip)} is already reserved for machine ${mac}` +
        (name ? ` (${name})` : "") +
        `; remove or change that machine's ipv4 first`,
      { field: "ipv4", machine: mac },
    );
  }
}

/**
 * Claims a registration's address for the duration of its write (see AddressIndex.claim);
 * throws AddressTaken naming the other machine, before anything is written.
 */
export function claimAddress(
  index: AddressIndex,
  machines: ReadonlyMap<Mac, MachineRecord>,
  mac: Mac,
  ip: Ip4 | null,
): () => void {
  if (ip === null) return () => undefined;
  const claim = index.claim(mac, ip);
  if (typeof claim === "function") return claim;
  throw new AddressTaken(ip, machines.get(claim.other) ?? claim.other);
}

/** What a registration's event says of the address: only a change, null when it ends. */
export function addressEvent(before: Ip4 | null, after: Ip4 | null): EventDetails {
  if (before === after) return {};
  return { ipv4: after === null ? null : formatIp4(after) };
}
