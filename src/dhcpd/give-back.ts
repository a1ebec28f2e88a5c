/**
 * DECLINE and RELEASE (RFC 2131 4.3.3, 4.3.4): the client gives an address back. A
 * declined address was found in use by someone else, so nobody gets it for a while; a
 * released one goes back to the pool with its holder remembered. Neither is answered.
 */
import type { DhcpPacket } from "../dhcp/codec/packet.js";
import { requestedIp, serverId } from "../dhcp/codec/options.js";
import { ipOf, type Ip4 } from "../core/ipv4.js";
import type { ClientKey } from "./lease.js";
import { isActive } from "./lease-table.js";
import type { EngineState, Verdict } from "./verdict.js";

export function decline(e: EngineState, req: DhcpPacket, client: ClientKey, now: number): Verdict {
  if (forAnotherServer(e, req)) return { kind: "silent", reason: "DECLINE for another server" };
  const want = requestedIp(req);
  const l = want === null ? undefined : e.table.get(ipOf(want));
  if (!l || l.client !== client || !isActive(l))
    return { kind: "silent", reason: "DECLINE of an address not held" };
  return { kind: "silent", reason: "declined", durable: e.table.quarantine(l, now) };
}

export function release(
  e: EngineState,
  req: DhcpPacket,
  client: ClientKey,
  ciaddr: Ip4,
  now: number,
): Verdict {
  if (forAnotherServer(e, req)) return { kind: "silent", reason: "RELEASE for another server" };
  const l = e.table.get(ciaddr);
  if (!l || l.client !== client || l.state !== "bound")
    return { kind: "silent", reason: "RELEASE of an address not held" };
  return { kind: "silent", reason: "released", durable: e.table.release(l, now) };
}

/** Option 54 names a server other than this one: the message is not ours. */
function forAnotherServer(e: EngineState, req: DhcpPacket): boolean {
  const sid = serverId(req);
  return sid !== null && ipOf(sid) !== e.serverId;
}
