/**
 * Who may have a MAC's install script. The script carries the install token, and the token
 * fetches the installation host key, so it goes only to the client that MAC's boot belongs
 * to: the IPv4 address some `AddressOwner` maps to that MAC. A source in
 * `security.trustedClients` (loopback by default; relayed subnets if the operator adds them)
 * is served without that proof.
 */
import { inCidr, parseCidr, plainIPv4, type Cidr } from "../core/cidr.js";
import type { Mac } from "../core/mac.js";
import { macForIp } from "../core/neighbours.js";

/**
 * Which MAC an address belongs to, as one source knows it, or null when it does not know.
 * The kernel's neighbour table is the last of the chain; a lease table (when Landscaper
 * leases addresses itself) goes before it.
 */
export type AddressOwner = (ip: string) => Promise<Mac | null>;

/** The neighbour table of this network namespace (`/proc/net/arp`). */
export const neighbourTable: AddressOwner = (ip) => macForIp(ip);

export type ClientVerdict =
  | { readonly ok: true }
  /** `owner`: the MAC the address belongs to, when some source knows it. */
  | { readonly ok: false; readonly client: string | null; readonly owner: Mac | null };

export class ScriptClients {
  private readonly trusted: readonly Cidr[];

  constructor(
    trustedClients: readonly string[],
    private readonly owners: readonly AddressOwner[] = [neighbourTable],
  ) {
    this.trusted = trustedClients.map((c) => {
      const net = parseCidr(c);
      if (!net) throw new RangeError(`not an IPv4 network: ${c}`);
      return net;
    });
  }

  /** Whether the peer at `address` (as the socket reports it) may have `mac`'s script. */
  async verdict(mac: Mac, address: string | undefined): Promise<ClientVerdict> {
    const ip = plainIPv4(address);
    if (ip === null) return { ok: false, client: address ?? null, owner: null };
    if (this.trusted.some((net) => inCidr(ip, net))) return { ok: true };
    for (const owner of this.owners) {
      const known = await owner(ip);
      if (known !== null)
        return known === mac ? { ok: true } : { ok: false, client: ip, owner: known };
    }
    return { ok: false, client: ip, owner: null };
  }
}
