/**
 * Server-mode replies: the engine's verdict as OFFER / ACK / NAK bytes with the subnet's
 * options, plus the proxy's boot options for a network-boot client (./reply.ts, shared),
 * and where it goes (RFC 2131 4.1). Pure: reused bytes live in the server's ReplyCache.
 */
import { BROADCAST_FLAG, encodePacket, type DhcpPacket } from "../codec/packet.js";
import { MSG, OPT, maxMessageSize } from "../codec/options.js";
import type { BootChoice } from "./boot-choice.js";
import type { Subnet } from "../../dhcpd/config.js";
import { formatIp4, ip4Bytes, type Ip4 } from "../../core/ipv4.js";
import { fileField, pushBootOptions, type Destination, type ReplyCache } from "./reply.js";

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

type Options = Array<readonly [number, Uint8Array]>;

const ZERO = "0.0.0.0";
const TYPE = {
  offer: Buffer.from([MSG.OFFER]),
  ack: Buffer.from([MSG.ACK]),
  nak: Buffer.from([MSG.NAK]),
};

export type Answer =
  | { readonly type: "offer" | "ack"; readonly ip: Ip4; readonly subnet: Subnet }
  /** ACK to an INFORM: configuration only, no address, no lease time. */
  | { readonly type: "inform"; readonly subnet: Subnet }
  | { readonly type: "nak"; readonly reason: string };

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

/** What every reply for a subnet carries after its type and server id. */
function subnetOptions(s: Subnet): Options {
  const o: Options = [[OPT_SERVER.subnetMask, ip4Bytes(s.mask)]];
  if (s.router !== null) o.push([OPT_SERVER.router, ip4Bytes(s.router)]);
  if (s.dns.length) o.push([OPT_SERVER.dns, Buffer.concat(s.dns.map(ip4Bytes))]);
  if (s.domain) o.push([OPT_SERVER.domain, Buffer.from(s.domain, "latin1")]);
  o.push([OPT_SERVER.broadcast, ip4Bytes(s.broadcast)]);
  return o;
}

function seconds(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** Lease time, T1 (half) and T2 (7/8). */
function leaseTimes(s: Subnet): Options {
  const lease = s.leaseSeconds;
  return [
    [OPT_SERVER.leaseTime, seconds(lease)],
    [OPT_SERVER.renewalT1, seconds(Math.floor(lease / 2))],
    [OPT_SERVER.rebindingT2, seconds(Math.floor((lease * 7) / 8))],
  ];
}

type FixedOptions = ReadonlyArray<readonly [number, Uint8Array]>;

/**
 * A reply's whole option list when no boot options follow: the same for every reply of a
 * subnet, answer type and server id, so it is built once (a reply per packet otherwise
 * built it from three lists: an array grown twice and two spreads).
 */
interface Fixed {
  readonly sid: Buffer;
  readonly offer: FixedOptions;
  readonly ack: FixedOptions;
  readonly inform: FixedOptions;
}

const fixedBySubnet = new WeakMap<Subnet, Fixed>();

function fixedOptions(s: Subnet, sid: Buffer): Fixed {
  let f = fixedBySubnet.get(s);
  if (!f || f.sid !== sid) {
    const times = leaseTimes(s);
    const rest = subnetOptions(s);
    const server = [OPT.serverId, sid] as const;
    f = {
      sid,
      offer: [[OPT.messageType, TYPE.offer], server, ...times, ...rest],
      ack: [[OPT.messageType, TYPE.ack], server, ...times, ...rest],
      // An INFORM's ACK: configuration only, no lease time.
      inform: [[OPT.messageType, TYPE.ack], server, ...rest],
    };
    fixedBySubnet.set(s, f);
  }
  return f;
}

/**
 * Encodes the reply. The cache's address goes in option 54 and, for a network-boot client,
 * siaddr (the boot server); `boot` is the proxy's choice for such a client, or null.
 */
export function encodeServerReply(
  req: DhcpPacket,
  answer: Answer,
  cache: ReplyCache,
  dest: Destination,
  boot: Extract<BootChoice, { answer: true }> | null,
): Buffer {
  const sid = cache.addressBytes;
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
  const fixed = fixedOptions(answer.subnet, sid)[answer.type];
  let options = fixed;
  if (boot) {
    // The boot options go on a copy: the cached list serves every other reply.
    const withBoot: Options = [...fixed];
    pushBootOptions(withBoot, req, boot, cache);
    options = withBoot;
  }
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
      siaddr: boot ? cache.address : ZERO,
      giaddr: req.giaddr,
      chaddr: req.chaddr,
      file: fileField(boot),
      options,
    },
    max,
  );
}
