/**
 * What the proxyDHCP does with one datagram: parse, classify, ask the registry once, and
 * either stay silent or hand back the reply and where it goes. No sockets here, so a test
 * can feed it packets directly; the server sends what it returns.
 */
import type dgram from "node:dgram";
import type { BootOracle } from "../../boot/plan.js";
import type { BootUrls } from "../../boot/urls.js";
import type { Logger } from "../../core/log.js";
import type { Mac } from "../../core/mac.js";
import type { Tally } from "../../core/tally.js";
import type { SightingSink } from "../../registry/doors.js";
import { classifyClient } from "../codec/client.js";
import { MSG, messageType, serverId, vendorClass } from "../codec/options.js";
import { parsePacket } from "../codec/packet.js";
import { chooseBoot, type ArrivalPort, type BootFiles } from "./boot-choice.js";
import { buildReply, replyDestination, type Destination, type ReplyCache } from "./reply.js";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** chaddr to canonical MAC, as core/mac's macFromBytes but without per-byte arrays. */
function macOf(chaddr: Uint8Array): Mac {
  return `${HEX[chaddr[0]!]}:${HEX[chaddr[1]!]}:${HEX[chaddr[2]!]}:${HEX[chaddr[3]!]}:${HEX[chaddr[4]!]}:${HEX[chaddr[5]!]}` as Mac;
}

export type PacketOutcome = "answered" | "ignored" | "malformed";

export interface DhcpHandlerDeps {
  readonly oracle: BootOracle;
  readonly urls: BootUrls;
  readonly files: BootFiles;
  /** The appliance address: siaddr, option 54, and the server a REQUEST on 67 must name. */
  readonly address: string;
  readonly clientPort: number;
  /** The ports actually bound: the relay reply port and the port recorded in events. */
  readonly ports: { readonly dhcp: number; readonly proxy: number };
  readonly cache: ReplyCache;
  count(this: void, outcome: PacketOutcome, client: string): void;
  /** Malformed datagrams are told here, one line per interval, not one per packet. */
  readonly tally: Tally;
  readonly log: Logger;
  /** Discovery: told of every network-boot client whose MAC is not registered. */
  readonly sightings?: SightingSink;
}

/** A reply to send, and whether it leaves through the proxy port's sockets. */
export interface Answer {
  readonly reply: Buffer;
  readonly dest: Destination;
  readonly viaProxyPort: boolean;
}

/** Handles one datagram; null when the proxy stays silent. Never throws on bad input. */
export function handleDhcpPacket(
  deps: DhcpHandlerDeps,
  msg: Buffer,
  from: dgram.RemoteInfo | { address: string; port: number },
  arrival: ArrivalPort,
): Answer | null {
  const { count, log, address } = deps;
  // Per-packet debug lines only when asked for: their arguments cost an allocation each.
  const debug = log.isLevelEnabled("debug");
  const parsed = parsePacket(msg);
  if (!parsed.ok) {
    count("malformed", "unknown");
    deps.tally.note("DHCP datagrams malformed, dropped", () => ({
      from: from.address,
      reason: parsed.reason,
    }));
    return null;
  }
  const req = parsed.packet;
  const type = messageType(req);
  if (req.op !== 1 || req.htype !== 1 || req.hlen !== 6 || type === null) {
    count("ignored", "unknown");
    return null;
  }
  const client = classifyClient(req);
  // On 67 a REQUEST naming another server is the client taking the site server's lease.
  const wanted =
    arrival === "proxy"
      ? type === MSG.REQUEST || type === MSG.INFORM
      : type === MSG.DISCOVER || (type === MSG.REQUEST && serverId(req) === address);
  if (!wanted || client.kind === "none") {
    count("ignored", client.kind);
    return null;
  }
  const mac = macOf(req.chaddr);
  const plan = deps.oracle.bootFor(mac);
  // Not registered (whether `answerUnknown` answers it or not): discovery remembers it.
  if (plan.script === "unknown")
    deps.sightings?.sighted({
      mac,
      kind: client.kind,
      arch: client.arch,
      vendorClass: vendorClass(req),
    });
  const choice = chooseBoot(client, plan, mac, deps.files, deps.urls, arrival);
  if (!choice.answer) {
    count("ignored", client.kind);
    if (debug) log.debug({ mac, client: client.kind, reason: choice.reason }, "not answered");
    return null;
  }
  const dest = replyDestination(req, arrival, from, deps.clientPort, deps.ports.dhcp);
  const reply = buildReply(req, type, choice, deps.cache, dest);
  count("answered", client.kind);
  const port = arrival === "proxy" ? deps.ports.proxy : deps.ports.dhcp;
  deps.oracle.noteBootStep(mac, {
    type: "dhcp",
    clientKind: client.kind,
    arch: client.arch,
    file: choice.file,
    port,
  });
  if (debug)
    log.debug({ mac, client: client.kind, arch: client.arch, file: choice.file, port }, "answered");
  return { reply, dest, viaProxyPort: arrival === "proxy" && req.giaddr === "0.0.0.0" };
}
