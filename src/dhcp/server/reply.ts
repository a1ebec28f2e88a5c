/**
 * Builds a proxyDHCP reply for an accepted request, and decides where it goes. Pure: what
 * is reused across replies lives in a ReplyCache the server owns, not in this module.
 */
import {
  BROADCAST_FLAG,
  encodePacket,
  type DhcpPacket,
  type EncodeInput,
} from "../codec/packet.js";
import { MSG, OPT, clientUuid, encodeSubOptions, ipv4Bytes, PXE_SUB } from "../codec/options.js";
import type { ArrivalPort, BootChoice } from "./boot-choice.js";

const FILE_FIELD_MAX = 127;
const ZERO = "0.0.0.0";

// Constant option values, built once rather than per reply.
const OFFER = Buffer.from([MSG.OFFER]);
const ACK = Buffer.from([MSG.ACK]);
const VENDOR_CLASS = {
  PXEClient: Buffer.from("PXEClient", "latin1"),
  HTTPClient: Buffer.from("HTTPClient", "latin1"),
};
const SKIP_DISCOVERY = encodeSubOptions([[PXE_SUB.discoveryControl, Buffer.from([8])]]);

/** Bytes one server reuses across replies; each server makes its own (replyCache). */
export interface ReplyCache {
  readonly address: string;
  readonly addressBytes: Buffer;
  /** Most replies name the same file as the one before (TFTP names repeat; URLs per MAC). */
  lastFile: { name: string; bytes: Buffer };
}

export function replyCache(serverAddress: string): ReplyCache {
  return {
    address: serverAddress,
    addressBytes: ipv4Bytes(serverAddress),
    lastFile: { name: "", bytes: Buffer.alloc(0) },
  };
}

export interface Destination {
  readonly address: string;
  readonly port: number;
  /** True when the reply goes to the limited broadcast address. */
  readonly broadcast: boolean;
}

/**
 * RFC 2131 4.1 as it applies to a proxy that never assigns an address: relayed requests go
 * back to the relay's server port; port-4011 requests come from a configured client, which
 * gets a unicast to where it asked from; everyone else gets a broadcast unless it already
 * has an address and did not ask for a broadcast.
 */
export function replyDestination(
  req: DhcpPacket,
  arrival: ArrivalPort,
  from: { address: string; port: number },
  clientPort = 68,
  serverPort = 67,
): Destination {
  if (req.giaddr !== ZERO) return { address: req.giaddr, port: serverPort, broadcast: false };
  if (arrival === "proxy") {
    const address = req.ciaddr !== ZERO ? req.ciaddr : from.address;
    if (address !== ZERO) return { address, port: from.port, broadcast: false };
  }
  if (req.flags & BROADCAST_FLAG || req.ciaddr === ZERO)
    return { address: "255.255.255.255", port: clientPort, broadcast: true };
  return { address: req.ciaddr, port: clientPort, broadcast: false };
}

type Options = Array<readonly [number, Uint8Array]>;

/**
 * What every answer to a network-boot client carries, proxy or server mode alike: option
 * 60 (PXEClient / HTTPClient), 97 echoed, 43 "skip discovery" when the file is final, and
 * the file in option 67. Appended to `options`.
 */
export function pushBootOptions(
  options: Options,
  req: DhcpPacket,
  choice: Extract<BootChoice, { answer: true }>,
  cache: ReplyCache,
): void {
  options.push([OPT.vendorClass, VENDOR_CLASS[choice.vendorClass]]);
  const uuid = clientUuid(req);
  if (uuid) options.push([OPT.clientUuid, uuid]);
  if (choice.skipDiscovery) options.push([OPT.vendorSpecific, SKIP_DISCOVERY]);
  const file = choice.file;
  if (file !== null) {
    if (cache.lastFile.name !== file)
      cache.lastFile = { name: file, bytes: Buffer.from(file, "latin1") };
    options.push([OPT.bootfileName, cache.lastFile.bytes]);
  }
}

/** The BOOTP `file` field: the file when it fits its 127 bytes; option 67 always has it. */
export function fileField(choice: Extract<BootChoice, { answer: true }> | null): string {
  const file = choice?.file ?? null;
  return file !== null && Buffer.byteLength(file, "latin1") <= FILE_FIELD_MAX ? file : "";
}

/** OFFER for a DISCOVER, ACK for a REQUEST (or anything on 4011). */
export function buildReply(
  req: DhcpPacket,
  requestType: number,
  choice: Extract<BootChoice, { answer: true }>,
  cache: ReplyCache,
  dest: Destination,
): Buffer {
  const options: Options = [
    [OPT.messageType, requestType === MSG.DISCOVER ? OFFER : ACK],
    [OPT.serverId, cache.addressBytes],
  ];
  pushBootOptions(options, req, choice, cache);
  const input: EncodeInput = {
    op: 2,
    htype: req.htype,
    hlen: req.hlen,
    hops: 0,
    xid: req.xid,
    secs: 0,
    flags: dest.broadcast ? req.flags | BROADCAST_FLAG : req.flags,
    ciaddr: req.ciaddr,
    siaddr: cache.address,
    giaddr: req.giaddr,
    chaddr: req.chaddr,
    file: fileField(choice),
    options,
  };
  return encodePacket(input);
}
