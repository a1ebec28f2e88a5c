/**
 * The DHCP server-mode runner: owns the sockets, the clock, the ping checks and the lease
 * journal around the pure engine. It answers network-boot clients as the proxy does (same
 * boot choice, same port-4011 step) and also gives addresses.
 *
 * Sockets as in the proxy (docs/dhcp.md "Sockets"): per port a receiver on 0.0.0.0 (sees
 * broadcasts) and a sender bound to `address` (limited broadcasts leave by its interface).
 * Phase 2 merges this runner with src/dhcp/server/server.ts (docs/dhcp.md "Phase 2").
 */
import type dgram from "node:dgram";
import type { Logger } from "../core/log.js";
import type { Service } from "../core/service.js";
import type { BootOracle } from "../boot/plan.js";
import type { BootUrls } from "../boot/urls.js";
import { parsePacket, type DhcpPacket } from "../dhcp/codec/packet.js";
import { MSG, messageType } from "../dhcp/codec/options.js";
import { classifyClient } from "../dhcp/codec/client.js";
import {
  chooseBoot,
  type ArrivalPort,
  type BootChoice,
  type BootFiles,
} from "../dhcp/server/boot-choice.js";
import { buildReply, replyCache, replyDestination } from "../dhcp/server/reply.js";
import { openPort } from "../dhcp/server/sockets.js";
import type { Mac } from "../core/mac.js";
import type { ServerConfig } from "./config.js";
import { LeaseEngine, type Reservations, type Verdict } from "./engine.js";
import { formatIp4, parseIp4 } from "../core/ipv4.js";
import { openJournal, type LeaseStore } from "./journal.js";
import { macOfChaddr } from "./lease.js";
import type { Pinger } from "./ping.js";
import { encodeServerReply, serverDestination, type Answer } from "./reply.js";

export interface LeaseServerOptions {
  /** The appliance's address on the local subnet (option 54, siaddr, source of replies). */
  readonly address: string;
  readonly config: ServerConfig;
  readonly reservations: Reservations;
  readonly oracle: BootOracle;
  /** Where the LAN HTTP server is (script and HTTP-boot URLs). */
  readonly urls: BootUrls;
  readonly files: BootFiles;
  /** The lease journal file (phase 2: `<stateDir>/dhcp-leases.jsonl`). */
  readonly journalPath: string;
  /** The ping check; null disables it (also when config.pingMs is 0). */
  readonly pinger: Pinger | null;
  readonly log: Logger;
  readonly dhcpPort?: number;
  readonly proxyPort?: number;
  readonly clientPort?: number;
  readonly recvBufferSize?: number;
  /** Every lease change and reply, for events (phase 2: a machine event) and tests. */
  readonly onEvent?: (e: LeaseEvent) => void;
}

export interface LeaseEvent {
  readonly type: "offer" | "ack" | "nak" | "inform" | "released" | "declined" | "in use";
  readonly mac: Mac;
  /** The address concerned; null for a NAK or an INFORM. */
  readonly ip: string | null;
}

export interface LeaseService extends Service {
  readonly ports: { readonly dhcp: number; readonly proxy: number };
  readonly engine: LeaseEngine;
  readonly store: LeaseStore;
  /** Outcome counts by reason ("offer", "ack", "nak: ...", "silent: ..."). */
  counts(): Record<string, number>;
}

/** How often an address that answered the ping is replaced before giving up on a DISCOVER. */
const PROBE_TRIES = 3;

export async function startLeaseServer(o: LeaseServerOptions): Promise<LeaseService> {
  const log = o.log.child({ service: "dhcpd" });
  const serverIp = parseIp4(o.address);
  if (serverIp === null || serverIp === 0)
    throw new Error(`address: not a unicast IPv4 address: ${o.address}`);
  const engine = new LeaseEngine(o.config, o.reservations, serverIp);
  const opened = await openJournal(o.journalPath, () => engine.records(), 10_000, o.config.fsync);
  engine.restore(opened.records, Date.now());
  if (opened.skipped)
    log.warn({ skipped: opened.skipped }, "lease journal lines skipped (torn or unreadable)");
  const store = opened.store;
  const pinger = o.config.pingMs > 0 ? o.pinger : null;
  const clientPort = o.clientPort ?? 68;
  const rcvbuf = o.recvBufferSize ?? 4 * 1024 * 1024;

  // The proxy's sockets (src/dhcp/server/sockets.ts); `address` is not 0.0.0.0 (checked
  // above: it is option 54), so each port has its sender.
  const sockets: dgram.Socket[] = [];
  const open = async (port: number) => {
    const p = await openPort(o.address, port, rcvbuf);
    const sender = p.sender ?? p.receiver;
    sockets.push(p.receiver);
    if (p.sender) sockets.push(p.sender);
    return { receiver: p.receiver, sender };
  };
  let main: { receiver: dgram.Socket; sender: dgram.Socket };
  let proxy: { receiver: dgram.Socket; sender: dgram.Socket };
  try {
    main = await open(o.dhcpPort ?? 67);
    proxy = await open(o.proxyPort ?? 4011);
  } catch (e) {
    for (const s of sockets) s.close();
    await store.close();
    throw e;
  }
  const ports = { dhcp: main.receiver.address().port, proxy: proxy.receiver.address().port };
  const cache = replyCache(o.address);

  const tally = new Map<string, number>();
  const count = (what: string) => tally.set(what, (tally.get(what) ?? 0) + 1);

  const boot = (
    req: DhcpPacket,
    mac: Mac,
    arrival: ArrivalPort,
  ): Extract<BootChoice, { answer: true }> | null => {
    const client = classifyClient(req);
    if (client.kind === "none") return null;
    const choice = chooseBoot(client, o.oracle.bootFor(mac), mac, o.files, o.urls, arrival);
    if (!choice.answer) return null;
    const port = arrival === "proxy" ? ports.proxy : ports.dhcp;
    o.oracle.noteBootStep(mac, {
      type: "dhcp",
      clientKind: client.kind,
      arch: client.arch,
      file: choice.file,
      port,
    });
    return choice;
  };

  const send = (req: DhcpPacket, answer: Answer, mac: Mac) => {
    const dest = serverDestination(req, answer, clientPort, ports.dhcp);
    const choice = answer.type === "nak" ? null : boot(req, mac, "dhcp");
    let reply: Buffer;
    try {
      reply = encodeServerReply(req, answer, serverIp, dest, choice);
    } catch (e) {
      // Also reached after a fsync or a ping, outside the packet handler's guard: an
      // exception there would be an unhandled rejection and end the process.
      count("failed");
      log.error({ mac, err: (e as Error).message }, "DHCP reply not encoded");
      return;
    }
    main.sender.send(reply, dest.port, dest.address);
    count(answer.type);
    if (o.onEvent) {
      const ip = answer.type === "offer" || answer.type === "ack" ? formatIp4(answer.ip) : null;
      o.onEvent({ type: answer.type, mac, ip });
    }
  };

  const act = (req: DhcpPacket, v: Verdict, mac: Mac, tries: number): void => {
    switch (v.kind) {
      case "offer":
        if (v.probe && pinger) {
          const ip = formatIp4(v.ip);
          void pinger(ip).then((answered) => {
            const quarantined = engine.probed(v.ip, answered, Date.now());
            if (!answered) return send(req, { type: "offer", ip: v.ip, subnet: v.subnet }, mac);
            count("ping answered");
            log.warn({ ip }, "pool address answers ping: quarantined");
            o.onEvent?.({ type: "in use", mac, ip });
            if (quarantined) store.append(quarantined).catch(() => undefined);
            if (tries > 1) act(req, engine.handle(req, Date.now()), mac, tries - 1);
          });
          return;
        }
        if (v.probe) engine.probed(v.ip, false, Date.now());
        return send(req, { type: "offer", ip: v.ip, subnet: v.subnet }, mac);
      case "ack":
        // Durable first: a client is never told of a lease a crash could lose.
        store.append(v.durable).then(
          () => send(req, { type: "ack", ip: v.ip, subnet: v.subnet }, mac),
          (e: Error) => {
            count("journal failed");
            log.error({ err: e.message }, "lease not written: no ACK sent");
          },
        );
        return;
      case "inform":
        return send(req, { type: "inform", subnet: v.subnet }, mac);
      case "nak":
        log.debug({ mac, reason: v.reason }, "NAK");
        count(`nak: ${v.reason}`);
        return send(req, { type: "nak", reason: v.reason }, mac);
      case "silent":
        count(`silent: ${v.reason}`);
        if (v.durable) {
          const { state, ip } = v.durable;
          store.append(v.durable).then(
            () =>
              o.onEvent?.({
                type: state === "declined" ? "declined" : "released",
                mac,
                ip: formatIp4(ip),
              }),
            (e: Error) => log.error({ err: e.message }, "lease journal"),
          );
        }
        return;
    }
  };

  const onMain = (msg: Buffer) => {
    const parsed = parsePacket(msg);
    if (!parsed.ok) return count("malformed");
    const req = parsed.packet;
    act(req, engine.handle(req, Date.now()), macOfChaddr(req.chaddr), PROBE_TRIES);
  };

  /** Port 4011: the PXE boot-server step, answered exactly as the proxy does. */
  const onProxy = (msg: Buffer, from: dgram.RemoteInfo) => {
    const parsed = parsePacket(msg);
    if (!parsed.ok) return count("malformed");
    const req = parsed.packet;
    const type = messageType(req);
    if (req.op !== 1 || req.hlen !== 6 || (type !== MSG.REQUEST && type !== MSG.INFORM))
      return count("silent: 4011");
    const mac = macOfChaddr(req.chaddr);
    const choice = boot(req, mac, "proxy");
    if (!choice) return count("silent: 4011 not a boot client");
    const dest = replyDestination(req, "proxy", from, clientPort, ports.dhcp);
    const out = req.giaddr === "0.0.0.0" ? proxy.sender : main.sender;
    out.send(buildReply(req, type, choice, cache, dest), dest.port, dest.address);
    count("4011 ack");
  };

  const guard =
    (handler: (msg: Buffer, from: dgram.RemoteInfo) => void) =>
    (msg: Buffer, from: dgram.RemoteInfo) => {
      try {
        handler(msg, from);
      } catch (e) {
        // One bad packet (or a bug it reveals) must not take the server down.
        count("failed");
        log.error(
          { err: e instanceof Error ? e.message : String(e) },
          "DHCP packet handling failed",
        );
      }
    };
  for (const s of [main.receiver, main.sender]) s.on("message", guard(onMain));
  for (const s of [proxy.receiver, proxy.sender]) s.on("message", guard(onProxy));
  for (const s of sockets) s.on("error", (e) => log.error({ err: e.message }, "DHCP socket error"));
  log.info({ address: o.address, ports, leases: opened.records.length }, "DHCP server listening");

  return {
    name: "dhcpd",
    ports,
    engine,
    store,
    counts: () => Object.fromEntries(tally),
    close: async () => {
      await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
      await store.close();
    },
  };
}
