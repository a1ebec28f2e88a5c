/**
 * DISCOVER: which address to offer (RFC 2131 4.3.1). In order: the machine's
 * reservation, the address the client already holds, the one it asks for, the next free
 * pool address. A fresh pool address is offered in the `probing` state: the runner pings
 * it first.
 */
import type { DhcpPacket } from "../dhcp/codec/packet.js";
import { requestedIp } from "../dhcp/codec/options.js";
import type { Mac } from "../core/mac.js";
import { inSubnet, ipOf, type Ip4 } from "../core/ipv4.js";
import type { Subnet } from "./config.js";
import type { ClientKey } from "./lease.js";
import { isActive } from "./lease-table.js";
import { reservedForOther, type EngineState, type Verdict } from "./verdict.js";

export function discover(
  e: EngineState,
  req: DhcpPacket,
  mac: Mac,
  client: ClientKey,
  subnet: Subnet,
  now: number,
): Verdict {
  const own = e.table.ofClient(client);
  if (own?.state === "probing") return { kind: "silent", reason: "address check in progress" };
  const reserved = e.reservations.reservedFor(mac);
  let conflict = false;
  if (reserved !== null && inSubnet(subnet, reserved)) {
    const holder = e.table.get(reserved);
    // The same MAC under another client id is the same machine at another boot stage:
    // EDK2's PXE sends no option 61, the iPXE it loads then sends 01+MAC (seen in the lab).
    if (!isActive(holder) || holder.client === client || holder.mac === mac)
      return offer(e, reserved, mac, client, subnet, false, now);
    conflict = true; // held by another client since before the reservation: pool until it ends
  }
  if (own && !conflict && inSubnet(subnet, own.ip) && usableBy(e, own.ip, mac, client))
    return offer(e, own.ip, mac, client, subnet, false, now);
  const pool = e.table.poolFor(subnet);
  if (!pool)
    return {
      kind: "silent",
      reason: conflict ? "reserved address in use, no pool" : "no pool and no reservation",
    };
  const probe = e.config.pingMs > 0;
  const want = requestedIp(req);
  if (want !== null) {
    const ip = ipOf(want);
    if (pool.isFree(ip) && !reservedForOther(e, ip, mac) && usableBy(e, ip, mac, client))
      return offer(e, ip, mac, client, subnet, probe, now);
  }
  const ip = e.table.allocate(pool, (a) => reservedForOther(e, a, mac));
  if (ip === null) return { kind: "silent", reason: "pool exhausted" };
  return offer(e, ip, mac, client, subnet, probe, now);
}

function offer(
  e: EngineState,
  ip: Ip4,
  mac: Mac,
  client: ClientKey,
  subnet: Subnet,
  probe: boolean,
  now: number,
): Verdict {
  const l = e.table.get(ip);
  if (l && l.client === client && l.state === "bound")
    return { kind: "offer", ip, subnet, probe: false };
  e.table.poolOf(ip)?.take(ip);
  const state = probe ? "probing" : "offered";
  // Probing waits at most the ping time; the offer then lasts offerSeconds.
  e.table.claim(ip, mac, client, state, now + e.config.offerSeconds * 1000 + e.config.pingMs);
  return { kind: "offer", ip, subnet, probe };
}

function usableBy(e: EngineState, ip: Ip4, mac: Mac, client: ClientKey): boolean {
  if (reservedForOther(e, ip, mac)) return false;
  const l = e.table.get(ip);
  if (isActive(l)) return l.client === client && l.state !== "declined";
  // Expired or released: a pool address is still the client's if nobody took it since;
  // one outside the pool only while it is the machine's reservation.
  const pool = e.table.poolOf(ip);
  return pool ? pool.isFree(ip) : e.reservations.reservedFor(mac) === ip;
}
