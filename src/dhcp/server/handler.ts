/**
 * What the proxy does with one datagram (in server mode, with one on port 4011): parse,
 * classify, ask the registry once, and either stay silent or hand back the reply and where
 * it goes. No sockets here, so a test can feed it packets directly; the server sends it.
 */
import type dgram from "node:dgram";
import type { BootOracle, BootPlan } from "../../boot/plan.js";
import type { BootUrls } from "../../boot/urls.js";
import type { Logger } from "../../core/log.js";
import type { Mac } from "../../core/mac.js";
import type { Tally } from "../../core/tally.js";
import type { SightingSink } from "../../registry/doors.js";
import { macOfChaddr } from "../../dhcpd/lease.js";
import { classifyClient, type ClientInfo } from "../codec/client.js";
import { MSG, messageType, serverId, vendorClass } from "../codec/options.js";
import { parsePacket, type DhcpPacket } from "../codec/packet.js";
import { chooseBoot, type ArrivalPort, type BootFiles } from "./boot-choice.js";
import { buildReply, replyDestination, type Destination, type ReplyCache } from "./reply.js";

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
  /** Where unregistered network-boot clients are reported (discovery); null: nowhere. */
  readonly sightings?: SightingSink | null;
}

/**
 * Reports a network-boot client the registry does not know (its plan's script is
 * "unknown", whether or not `dhcp.answerUnknown` has it answered). Both modes call this.
 */
export function sight(
  sink: SightingSink | null,
  req: DhcpPacket,
  mac: Mac,
  client: ClientInfo,
  plan: BootPlan,
): void {
  if (sink === null || client.kind === "none" || plan.script !== "unknown") return;
  sink.sighted({ mac, kind: client.kind, arch: client.arch, vendorClass: vendorClass(req) });
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
  const mac = macOfChaddr(req.chaddr);
  const plan = deps.oracle.bootFor(mac);
  sight(deps.sightings ?? null, req, mac, client, plan);
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
