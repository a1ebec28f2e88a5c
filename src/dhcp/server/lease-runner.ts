/**
 * Server mode's port 67: the pure lease engine (src/dhcpd/) with the clock, the ping checks
 * and the lease journal around it. Answers to network-boot clients of armed MACs carry the
 * proxy's boot options. The sockets and the port-4011 step are the DHCP service's
 * (./server.ts), the same in both modes.
 */
import type { BootOracle, BootPlan } from "../../boot/plan.js";
import type { BootUrls } from "../../boot/urls.js";
import type { Logger } from "../../core/log.js";
import type { Mac } from "../../core/mac.js";
import { formatIp4, parseIp4, type Ip4 } from "../../core/ipv4.js";
import type { Reservations, SightingSink } from "../../registry/doors.js";
import { classifyClient, type ClientInfo } from "../codec/client.js";
import { parsePacket, type DhcpPacket } from "../codec/packet.js";
import type { ServerConfig } from "../../dhcpd/config.js";
import { LeaseEngine, type Verdict } from "../../dhcpd/engine.js";
import { openJournal, type LeaseStore } from "../../dhcpd/journal.js";
import { macOfChaddr } from "../../dhcpd/lease.js";
import type { Pinger } from "../../dhcpd/ping.js";
import { chooseBoot, type BootChoice, type BootFiles } from "./boot-choice.js";
import { sight } from "./handler.js";
import { encodeServerReply, serverDestination, type Answer } from "./lease-reply.js";
import type { Destination, ReplyCache } from "./reply.js";

/** What server mode needs beyond the proxy's settings. */
export interface LeaseOptions {
  readonly config: ServerConfig;
  readonly reservations: Reservations;
  /** The lease journal file (`<stateDir>/dhcp-leases.jsonl` under `serve`). */
  readonly journalPath: string;
  /** The ping check; null disables it (also when config.pingMs is 0). */
  readonly pinger: Pinger | null;
  /** Every lease change and reply: machine events under `serve`, and tests. */
  readonly onEvent?: (e: LeaseEvent) => void;
}

export interface LeaseEvent {
  readonly type: "offer" | "ack" | "nak" | "inform" | "released" | "declined" | "in use";
  readonly mac: Mac;
  /** The address concerned; null for a NAK or an INFORM. */
  readonly ip: string | null;
  /** An ACK's lease runs out at this time (epoch milliseconds) unless renewed; else null. */
  readonly expiresAt: number | null;
}

/** Outcomes of port-67 packets in server mode (`landscaper_dhcp_packets_total`'s `outcome`). */
export type LeaseOutcome = Exclude<LeaseEvent["type"], "in use"> | "ignored" | "malformed";

/** The running lease side, as the service shows it. */
export interface Leases {
  readonly engine: LeaseEngine;
  readonly store: LeaseStore;
  /** Outcome counts by reason ("offer", "ack", "nak: ...", "silent: ..."). */
  counts(): Record<string, number>;
  /** The MAC whose bound lease `ip` is now, or null (who may have a MAC's script). */
  ownerOf(ip: string): Mac | null;
}

export interface LeaseRunnerDeps {
  readonly address: string;
  readonly oracle: BootOracle;
  readonly urls: BootUrls;
  readonly files: BootFiles;
  readonly cache: ReplyCache;
  readonly clientPort: number;
  /** The bound port 67: relay replies go there, and boot events name it. */
  readonly dhcpPort: number;
  readonly sightings: SightingSink | null;
  readonly log: Logger;
  /** False when the reply could not go out (the service is closing): nothing is counted. */
  send(this: void, reply: Buffer, dest: Destination): boolean;
  /** `client`: the client kind, "unknown" for an undecodable datagram. */
  count(this: void, outcome: LeaseOutcome, client: ClientInfo["kind"] | "unknown"): void;
}

export interface LeaseRunner extends Leases {
  /** One datagram that arrived on port 67. Never throws on bad input. */
  handle(msg: Buffer): void;
  close(): Promise<void>;
}

/** A quarantine record: its loss costs only the quarantine, nobody waits for it. */
const ignoreWritten = (): void => undefined;

/** How often an address that answered the ping is replaced before giving up on a DISCOVER. */
const PROBE_TRIES = 3;

/** A request as the runner carries it from the packet to its (possibly later) reply. */
interface Asked {
  readonly req: DhcpPacket;
  readonly mac: Mac;
  readonly client: ClientInfo;
  /** The registry's plan, asked once per packet; null for a client that is not booting. */
  readonly plan: BootPlan | null;
}

export async function openLeaseRunner(o: LeaseOptions, d: LeaseRunnerDeps): Promise<LeaseRunner> {
  const { log } = d;
  const serverIp = parseIp4(d.address);
  if (serverIp === null || serverIp === 0)
    throw new Error(`address: not a unicast IPv4 address: ${d.address}`);
  const engine = new LeaseEngine(o.config, o.reservations, serverIp);
  const opened = await openJournal(o.journalPath, () => engine.records(), 10_000, o.config.fsync);
  engine.restore(opened.records, Date.now());
  if (opened.skipped)
    log.warn({ skipped: opened.skipped }, "lease journal lines skipped (torn or unreadable)");
  const store = opened.store;
  const pinger = o.config.pingMs > 0 ? o.pinger : null;

  const tally = new Map<string, number>();
  const count = (what: string) => tally.set(what, (tally.get(what) ?? 0) + 1);
  const event = (a: Asked, type: LeaseEvent["type"], ip: Ip4 | null, expiresAt: number | null) =>
    o.onEvent?.({ type, mac: a.mac, ip: ip === null ? null : formatIp4(ip), expiresAt });

  const boot = (a: Asked): Extract<BootChoice, { answer: true }> | null => {
    if (a.plan === null) return null;
    const choice = chooseBoot(a.client, a.plan, a.mac, d.files, d.urls, "dhcp");
    if (!choice.answer) return null;
    d.oracle.noteBootStep(a.mac, {
      type: "dhcp",
      clientKind: a.client.kind,
      arch: a.client.arch,
      file: choice.file,
      port: d.dhcpPort,
    });
    return choice;
  };

  const send = (a: Asked, answer: Answer, expiresAt: number | null = null) => {
    const dest = serverDestination(a.req, answer, d.clientPort, d.dhcpPort);
    let reply: Buffer;
    try {
      reply = encodeServerReply(
        a.req,
        answer,
        d.cache,
        dest,
        answer.type === "nak" ? null : boot(a),
      );
    } catch (e) {
      // Also reached after a fsync or a ping, outside the packet handler's guard: an
      // exception there would be an unhandled rejection and end the process.
      count("failed");
      log.error({ mac: a.mac, err: (e as Error).message }, "DHCP reply not encoded");
      return;
    }
    if (!d.send(reply, dest)) return;
    count(answer.type);
    d.count(answer.type, a.client.kind);
    const ip = answer.type === "offer" || answer.type === "ack" ? answer.ip : null;
    event(a, answer.type, ip, expiresAt);
  };

  const act = (a: Asked, v: Verdict, tries: number): void => {
    switch (v.kind) {
      case "offer":
        if (v.probe && pinger) {
          const ip = formatIp4(v.ip);
          void pinger(ip).then((answered) => {
            const quarantined = engine.probed(v.ip, answered, Date.now());
            if (!answered) return send(a, { type: "offer", ip: v.ip, subnet: v.subnet });
            count("ping answered");
            log.warn({ ip }, "pool address answers ping: quarantined");
            event(a, "in use", v.ip, null);
            if (quarantined) store.write(quarantined, ignoreWritten);
            if (tries > 1) act(a, engine.handle(a.req, Date.now(), a.mac), tries - 1);
          });
          return;
        }
        if (v.probe) engine.probed(v.ip, false, Date.now());
        return send(a, { type: "offer", ip: v.ip, subnet: v.subnet });
      case "ack":
        // Durable first: a client is never told of a lease a crash could lose.
        store.write(v.durable, (e) => {
          if (!e) return send(a, { type: "ack", ip: v.ip, subnet: v.subnet }, v.durable.expiresAt);
          count("journal failed");
          log.error({ err: e.message }, "lease not written: no ACK sent");
        });
        return;
      case "inform":
        return send(a, { type: "inform", subnet: v.subnet });
      case "nak":
        log.debug({ mac: a.mac, reason: v.reason }, "NAK");
        count(`nak: ${v.reason}`);
        return send(a, { type: "nak", reason: v.reason });
      case "silent":
        count(`silent: ${v.reason}`);
        if (!v.durable) return d.count("ignored", a.client.kind);
        {
          const { state, ip } = v.durable;
          d.count(state === "declined" ? "declined" : "released", a.client.kind);
          store.write(v.durable, (e) => {
            if (!e) event(a, state === "declined" ? "declined" : "released", ip, null);
            else log.error({ err: e.message }, "lease journal");
          });
        }
        return;
    }
  };

  log.info({ leases: opened.records.length }, "DHCP server mode: leases restored");
  return {
    engine,
    store,
    counts: () => Object.fromEntries(tally),
    ownerOf(ip) {
      const at = parseIp4(ip);
      const l = at === null ? undefined : engine.lease(at);
      return l?.state === "bound" && l.expiresAt > Date.now() ? l.mac : null;
    },
    handle(msg) {
      const parsed = parsePacket(msg);
      if (!parsed.ok) {
        count("malformed");
        return d.count("malformed", "unknown");
      }
      const req = parsed.packet;
      const mac = macOfChaddr(req.chaddr);
      const client = classifyClient(req);
      const plan = client.kind === "none" ? null : d.oracle.bootFor(mac);
      if (plan) sight(d.sightings, req, mac, client, plan);
      act({ req, mac, client, plan }, engine.handle(req, Date.now(), mac), PROBE_TRIES);
    },
    close: () => store.close(),
  };
}
