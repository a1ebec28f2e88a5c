/**
 * DHCP client messages built with the codec, for the server-mode tests and the
 * benchmark's load generator (a client's side of DORA, DECLINE, RELEASE, INFORM).
 */
import { encodePacket, parsePacket, type DhcpPacket } from "../../src/dhcp/codec/packet.js";
import type { MSG } from "../../src/dhcp/codec/options.js";
import { OPT } from "../../src/dhcp/codec/options.js";

export interface ClientMessage {
  readonly type: (typeof MSG)[keyof typeof MSG];
  readonly mac: string;
  readonly xid?: number;
  readonly ciaddr?: string;
  readonly giaddr?: string;
  readonly requested?: string;
  readonly serverId?: string;
  /** Option 61 bytes as hex. */
  readonly clientId?: string;
  readonly broadcast?: boolean;
  /** Extra options, [code, bytes]. */
  readonly extra?: ReadonlyArray<readonly [number, Uint8Array]>;
}

const ip = (s: string) => Buffer.from(s.split(".").map(Number));

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.replace(/[:-]/g, ""), "hex");
}

export function clientMessage(m: ClientMessage): Buffer {
  const options: Array<readonly [number, Uint8Array]> = [[OPT.messageType, Buffer.from([m.type])]];
  if (m.clientId) options.push([OPT.clientId, Buffer.from(m.clientId, "hex")]);
  if (m.requested) options.push([OPT.requestedIp, ip(m.requested)]);
  if (m.serverId) options.push([OPT.serverId, ip(m.serverId)]);
  options.push([OPT.paramRequestList, Buffer.from([1, 3, 6, 15, 51, 58, 59])]);
  options.push(...(m.extra ?? []));
  return encodePacket({
    op: 1,
    xid: m.xid ?? 1,
    flags: m.broadcast ? 0x8000 : 0,
    ciaddr: m.ciaddr,
    giaddr: m.giaddr,
    hops: m.giaddr ? 1 : 0,
    chaddr: macBytes(m.mac),
    options,
  });
}

/** clientMessage, parsed back: what a server's handler receives. */
export function clientPacket(m: ClientMessage): DhcpPacket {
  const r = parsePacket(clientMessage(m));
  if (!r.ok) throw new Error(r.reason);
  return r.packet;
}
