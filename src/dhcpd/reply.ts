/**
 * Server-mode replies: the engine's verdict as OFFER / ACK / NAK bytes with the subnet's
 * options, plus the proxy's boot options for a network-boot client, and where it goes
 * (RFC 2131 4.1). Pure.
 */
import { BROADCAST_FLAG, encodePacket, type DhcpPacket } from "../dhcp/codec/packet.js";
import {
  MSG,
  OPT,
  clientUuid,
  encodeSubOptions,
  maxMessageSize,
  PXE_SUB,
} from "../dhcp/codec/options.js";
import type { BootChoice } from "../dhcp/server/boot-choice.js";
import type { Subnet } from "./config.js";
import { formatIp4, ip4Bytes, type Ip4 } from "../core/ipv4.js";

export const OPT_SERVER = {
  subnetMask: 1,
  router: 3,
  dns: 6,
  domain: 15,
  broadcast: 28,
  leaseTime: 51,
  message: 56,
  renewalT1: 58,
  rebindingT2: 59,
} as const;

const ZERO = "0.0.0.0";
const FILE_FIELD_MAX = 127;
const TYPE = {
  offer: Buffer.from([MSG.OFFER]),
  ack: Buffer.from([MSG.ACK]),
  nak: Buffer.from([MSG.NAK]),
};
const SKIP_DISCOVERY = encodeSubOptions([[PXE_SUB.discoveryControl, Buffer.from([8])]]);

export type Answer =
  | { readonly type: "offer" | "ack"; readonly ip: Ip4; readonly subnet: Subnet }
  /** ACK to an INFORM: configuration only, no address, no lease time. */
  | { readonly type: "inform"; readonly subnet: Subnet }
  | { readonly type: "nak"; readonly reason: string };

export interface Destination {
  readonly address: string;
  readonly port: number;
  readonly broadcast: boolean;
}

/**
 * RFC 2131 4.1. Relayed: to the relay's port 67 (a NAK with the broadcast bit, so the
 * relay broadcasts it). A NAK otherwise: broadcast. A client with an address (renewing,
 * informing): unicast to ciaddr. Everyone else: broadcast, whether or not the broadcast
 * bit is set; the RFC's alternative, a unicast to yiaddr at chaddr, needs an ARP entry
 * written before the client has its address, which node cannot do (no ioctl, no raw
 * socket). Every client tested (dhclient, udhcpc, dhcpcd, EDK2, iPXE) takes broadcasts.
 */
export function serverDestination(
  req: Pick<DhcpPacket, "giaddr" | "ciaddr">,
  answer: Answer,
  clientPort = 68,
  serverPort = 67,
): Destination {
  if (req.giaddr !== ZERO)
    return { address: req.giaddr, port: serverPort, broadcast: answer.type === "nak" };
  if (answer.type !== "nak" && req.ciaddr !== ZERO)
    return { address: req.ciaddr, port: clientPort, broadcast: false };
  return { address: "255.255.255.255", port: clientPort, broadcast: true };
}

// Option 54's bytes, the same in every reply of one server.
let lastServer: { ip: Ip4 | -1; bytes: Buffer } = { ip: -1, bytes: Buffer.alloc(4) };

/** Subnet options, built once per subnet: they are the same in every reply. */
const subnetOptions = new WeakMap<Subnet, Array<readonly [number, Uint8Array]>>();

function optionsOf(s: Subnet): Array<readonly [number, Uint8Array]> {
  let o = subnetOptions.get(s);
  if (!o) {
    o = [[OPT_SERVER.subnetMask, ip4Bytes(s.mask)]];
    if (s.router !== null) o.push([OPT_SERVER.router, ip4Bytes(s.router)]);
    if (s.dns.length) o.push([OPT_SERVER.dns, Buffer.concat(s.dns.map(ip4Bytes))]);
    if (s.domain) o.push([OPT_SERVER.domain, Buffer.from(s.domain, "latin1")]);
    o.push([OPT_SERVER.broadcast, ip4Bytes(s.broadcast)]);
    subnetOptions.set(s, o);
  }
  return o;
}

function seconds(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** The part of the proxy's answer a full server adds for a network-boot client. */
function bootOptions(req: DhcpPacket, boot: Extract<BootChoice, { answer: true }>) {
  const options: Array<readonly [number, Uint8Array]> = [
    [OPT.vendorClass, Buffer.from(boot.vendorClass, "latin1")],
  ];
  const uuid = clientUuid(req);
  if (uuid) options.push([OPT.clientUuid, uuid]);
  if (boot.skipDiscovery) options.push([OPT.vendorSpecific, SKIP_DISCOVERY]);
  if (boot.file !== null) options.push([OPT.bootfileName, Buffer.from(boot.file, "latin1")]);
  return options;
}

/**
 * Encodes the reply. `serverAddress` goes in option 54 and siaddr (the boot server);
 * `boot` is the proxy's choice for a network-boot client, or null.
 */
export function encodeServerReply(
  req: DhcpPacket,
  answer: Answer,
  serverAddress: Ip4,
  dest: Destination,
  boot: Extract<BootChoice, { answer: true }> | null,
): Buffer {
  if (lastServer.ip !== serverAddress)
    lastServer = { ip: serverAddress, bytes: ip4Bytes(serverAddress) };
  const sid = lastServer.bytes;
  if (answer.type === "nak") {
    return encodePacket({
      op: 2,
      htype: req.htype,
      hlen: req.hlen,
      xid: req.xid,
      flags: dest.broadcast ? req.flags | BROADCAST_FLAG : req.flags,
      giaddr: req.giaddr,
      chaddr: req.chaddr,
      options: [
        [OPT.messageType, TYPE.nak],
        [OPT.serverId, sid],
        [OPT_SERVER.message, Buffer.from(answer.reason, "latin1")],
      ],
    });
  }
  const options: Array<readonly [number, Uint8Array]> = [
    [OPT.messageType, answer.type === "offer" ? TYPE.offer : TYPE.ack],
    [OPT.serverId, sid],
  ];
  if (answer.type !== "inform") {
    const lease = answer.subnet.leaseSeconds;
    options.push(
      [OPT_SERVER.leaseTime, seconds(lease)],
      [OPT_SERVER.renewalT1, seconds(Math.floor(lease / 2))],
      [OPT_SERVER.rebindingT2, seconds(Math.floor((lease * 7) / 8))],
    );
  }
  options.push(...optionsOf(answer.subnet));
  if (boot) options.push(...bootOptions(req, boot));
  const file = boot?.file ?? null;
  // Clients may take more than 548 bytes when they say so (option 57), up to one frame.
  const max = Math.min(1472, Math.max(548, maxMessageSize(req) ?? 0));
  return encodePacket(
    {
      op: 2,
      htype: req.htype,
      hlen: req.hlen,
      xid: req.xid,
      flags: dest.broadcast ? req.flags | BROADCAST_FLAG : req.flags,
      ciaddr: answer.type === "offer" ? ZERO : req.ciaddr,
      yiaddr: answer.type === "inform" ? ZERO : formatIp4(answer.ip),
      siaddr: boot ? formatIp4(serverAddress) : ZERO,
      giaddr: req.giaddr,
      chaddr: req.chaddr,
      file: file !== null && Buffer.byteLength(file, "latin1") <= FILE_FIELD_MAX ? file : "",
      options,
    },
    max,
  );
}
