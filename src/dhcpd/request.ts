/**
 * REQUEST in its four client states (RFC 2131 4.3.2): SELECTING (server id set: the
 * client chose an offer), INIT-REBOOT (requested address, no ciaddr), RENEWING and
 * REBINDING (ciaddr). An ACK binds the lease; a NAK says why the address is not the
 * client's.
 */
import type { DhcpPacket } from "../dhcp/codec/packet.js";
import { requestedIp, serverId } from "../dhcp/codec/options.js";
import type { Mac } from "../core/mac.js";
import { inSubnet, ipOf, type Ip4 } from "../core/ipv4.js";
import type { Subnet } from "./config.js";
import type { ClientKey } from "./lease.js";
import { isActive, type Lease } from "./lease-table.js";
import { reservedForOther, type EngineState, type Verdict } from "./verdict.js";

export function request(
  e: EngineState,
  req: DhcpPacket,
  mac: Mac,
  client: ClientKey,
  subnet: Subnet,
  ciaddr: Ip4,
  now: number,
): Verdict {
  const sid = serverId(req);
  const want = requestedIp(req);
  if (sid !== null) {
    // SELECTING: the client chose an offer; if not ours, our offer is free again.
    if (ipOf(sid) !== e.serverId) {
      const own = e.table.ofClient(client);
      if (own && (own.state === "offered" || own.state === "probing")) e.table.free(own);
      return { kind: "silent", reason: "client chose another server" };
    }
    const ip = want !== null ? ipOf(want) : ciaddr;
    const l = e.table.get(ip);
    if (!l || l.client !== client || (l.state !== "offered" && l.state !== "bound"))
      return { kind: "nak", reason: "address not offered to this client" };
    return ack(e, l, mac, subnet, now);
  }
  // INIT-REBOOT (option 50, no ciaddr) or RENEWING/REBINDING (ciaddr).
  const ip = ciaddr !== 0 ? ciaddr : want !== null ? ipOf(want) : null;
  if (ip === null) return { kind: "silent", reason: "REQUEST names no address" };
  if (!inSubnet(subnet, ip)) return { kind: "nak", reason: "address not on the client's network" };
  const reserved = e.reservations.reservedFor(mac);
  if (
    reserved !== null &&
    reserved !== ip &&
    inSubnet(subnet, reserved) &&
    !isActive(otherHolder(e, reserved, client, mac))
  )
    return { kind: "nak", reason: "machine has another reserved address" };
  if (reservedForOther(e, ip, mac))
    return { kind: "nak", reason: "address reserved for another machine" };
  const l = e.table.get(ip);
  if (l && l.client === client && l.state !== "declined" && l.state !== "probing") {
    if (l.state === "released" || l.state === "expired") e.table.poolOf(ip)?.take(ip);
    return ack(e, l, mac, subnet, now);
  }
  if (isActive(l) && !(reserved === ip && l.mac === mac))
    return { kind: "nak", reason: "address held by another client" };
  // No record (lost, or never ours): a free pool address or the machine's reservation
  // is confirmed, so a client keeps its address across a lost lease file. The
  // reservation is also confirmed when the same MAC holds it under another client id.
  const pool = e.table.poolFor(subnet);
  if (reserved === ip || (pool?.isFree(ip) ?? false)) {
    pool?.take(ip);
    const fresh = e.table.claim(ip, mac, client, "offered", now);
    return ack(e, fresh, mac, subnet, now);
  }
  return { kind: "nak", reason: "address is not ours to give" };
}

function ack(e: EngineState, l: Lease, mac: Mac, subnet: Subnet, now: number): Verdict {
  const durable = e.table.bind(l, mac, now + subnet.leaseSeconds * 1000);
  return { kind: "ack", ip: l.ip, subnet, durable };
}

/** Who holds `ip` other than this client, and other than this machine under another id. */
function otherHolder(e: EngineState, ip: Ip4, client: ClientKey, mac: Mac): Lease | undefined {
  const l = e.table.get(ip);
  return l && l.client !== client && l.mac !== mac ? l : undefined;
}
