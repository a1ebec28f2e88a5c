/**
 * Read-only TFTP for the iPXE binaries: the listening socket, request checks and
 * negotiation. Files are opened in ./open-file.ts, transfers run in ./pool.ts, their ends
 * are told in ./report.ts.
 */
import { createSocket, type RemoteInfo } from "node:dgram";
import { close as closeFd } from "node:fs";
import { realpath } from "node:fs/promises";
import type { Service, ServerContext } from "../../core/service.js";
import { negotiate } from "../codec/options.js";
import { ErrorCode, Opcode, encodeError, parsePacket, type TftpPacket } from "../codec/packet.js";
import { MtuCaps } from "./mtu.js";
import { fileVersion, openForTransfer } from "./open-file.js";
import { TransferPool } from "./pool.js";
import { TransferTable } from "./table.js";
import { Tally } from "../../core/tally.js";
import { newStats, reportTransfer, type Entry, type TftpStats } from "./report.js";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry.js";
import type { TransferResult } from "./transfer.js";

export type { TftpStats };

export interface TftpServerOptions {
  /** Defaults to `ipxe.dir`. */
  root?: string;
  /** Defaults to `tftp.port`; 0 picks a free port (see `.port`). */
  port?: number;
  /** Address to listen on and send from; defaults to all IPv4 addresses. */
  host?: string;
  retry?: Partial<RetryPolicy>;
  /** Transfer threads; defaults to `tftp.threads`. */
  threads?: number;
  /** How long a transfer thread stays without transfers before it ends (tests shorten it). */
  threadIdleMs?: number;
}

export type TftpServer = Service & { readonly port: number; stats(): TftpStats };

const LISTENER_RCVBUF = 4 * 1024 * 1024;

type Rrq = Extract<TftpPacket, { filename: string }>;

/** The RFC 1350 / 2347 code for a datagram that does not parse, by its opcode. */
function errorCodeFor(opcode: number, reason: string): number {
  if (opcode === Opcode.RRQ || opcode === Opcode.WRQ)
    return /option/.test(reason) ? ErrorCode.OPTION_REFUSED : ErrorCode.ILLEGAL_OPERATION;
  // A DATA, ACK or OACK on the listening port belongs to no transfer, well-formed or not.
  if (opcode >= Opcode.DATA && opcode <= Opcode.OACK) return ErrorCode.UNKNOWN_TID;
  return ErrorCode.ILLEGAL_OPERATION;
}

/**
 * The listening socket only takes requests; every transfer gets its own ephemeral socket
 * (its TID) and state, freed when it ends.
 */
export async function startTftpServer(
  ctx: ServerContext,
  opts: TftpServerOptions = {},
): Promise<TftpServer> {
  const { config, log, metrics } = ctx;
  const root = await realpath(opts.root ?? config.ipxe.dir);
  const host = opts.host ?? "0.0.0.0";
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const mtus = new MtuCaps();
  const maxTransfers = config.tftp.maxTransfers;
  const maxPerClient = config.tftp.maxPerClient;
  const stats = newStats();
  const tally = new Tally(log);
  const failures = metrics.internalErrors.labels({ service: "tftp" });
  failures.inc(0); // the series exists at 0, so a rate() over it works from the start
  /** Requests by client endpoint; `started` once handed to the pool (then also in `byId`). */
  const transfers = new TransferTable();
  const byId = new Map<number, Entry>();
  let nextId = 1;
  let closed = false;
  const pool = new TransferPool(
    opts.threads ?? config.tftp.threads,
    {
      done: (id, r) => {
        const e = byId.get(id);
        if (e) done(e, r);
      },
      malformed: (id, reason) => {
        const e = byId.get(id);
        if (e) malformed(reason, e.from);
      },
      acked: (id) => {
        const e = byId.get(id);
        if (e) e.acknowledged = true;
      },
      failed: (id, stack) => {
        failures.inc();
        tally.caught("TFTP transfer", stack, { client: byId.get(id)?.key });
      },
    },
    log,
    opts.threadIdleMs,
  );

  const listener = createSocket({ type: "udp4" });
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.bind(opts.port ?? config.tftp.port, host, () => {
      listener.off("error", reject);
      resolve();
    });
  });
  listener.on("error", (err) => log.error({ err }, "tftp listener socket error"));
  try {
    // A burst of RRQs (a rack powering on, or a flood) waits here: the default (~200 KiB,
    // about 256 small datagrams) drops the rest before the server sees them.
    listener.setRecvBufferSize(LISTENER_RCVBUF);
  } catch {
    // Capped by net.core.rmem_max; the default still works, with less burst room.
  }
  const port = listener.address().port;

  function malformed(reason: string, from: RemoteInfo): void {
    stats.malformed++;
    metrics.tftpMalformed.inc();
    tally.note("tftp datagrams malformed", () => ({
      client: `${from.address}:${from.port}`,
      reason,
    }));
  }

  function reply(to: RemoteInfo, code: number, reason: string): void {
    listener.send(encodeError(code, reason), to.port, to.address);
  }

  function refuse(to: RemoteInfo, code: number, reason: string, file: string | null): void {
    stats.refused++;
    metrics.tftpTransfers.inc({ outcome: "refused" });
    tally.note(`tftp requests refused (error ${code})`, () => ({
      client: `${to.address}:${to.port}`,
      file,
      reason,
    }));
    reply(to, code, reason);
  }

  listener.on("message", (msg, rinfo) => {
    try {
      onRequest(msg, rinfo);
    } catch (err) {
      // One datagram's bug must not end the process: dropped, logged once, counted.
      failures.inc();
      tally.caught("TFTP request handling", err, { client: `${rinfo.address}:${rinfo.port}` });
    }
  });

  function onRequest(msg: Buffer, rinfo: RemoteInfo): void {
    // dgram.send throws at once for port 0.
    if (rinfo.port === 0) return malformed("source port 0", rinfo);
    const parsed = parsePacket(msg);
    if (!parsed.ok) {
      malformed(parsed.reason, rinfo);
      // Whatever has an opcode gets an ERROR naming what is wrong (RFC 1350), except an
      // ERROR (never answered). Shorter datagrams get silence: an answer to a 1-byte
      // spoofed datagram would make us a reflector.
      if (msg.length < 4) return;
      const opcode = msg.readUInt16BE(0);
      if (opcode === Opcode.ERROR) return;
      reply(rinfo, errorCodeFor(opcode, parsed.reason), parsed.reason);
      return;
    }
    const p = parsed.packet;
    switch (p.op) {
      case "rrq":
        void request(p, rinfo).catch((err: unknown) => {
          failures.inc();
          tally.caught("TFTP read request", err, { file: p.filename });
        });
        return;
      case "wrq":
        refuse(rinfo, ErrorCode.ACCESS_VIOLATION, "read-only server", p.filename);
        return;
      case "error":
        return; // never answer an error with an error
      case "data":
      case "ack":
      case "oack":
        reply(rinfo, ErrorCode.UNKNOWN_TID, `${p.op} without a transfer`);
        return;
    }
  }

  /**
   * Makes room for a request from `from`, or says why there is none. At the per-address
   * cap, that address's oldest never-acknowledged transfer goes; with the table full, the
   * oldest never-acknowledged one of anyone. Only when all are acknowledged is it refused.
   */
  function makeRoom(from: RemoteInfo): string | null {
    let victim: Entry | null = null;
    if (transfers.countFrom(from.address) >= maxPerClient) {
      victim = transfers.oldestSilent(from.address);
      if (!victim) return `too many transfers from ${from.address} (${maxPerClient})`;
    } else if (transfers.size >= maxTransfers) {
      victim = transfers.oldestSilent();
      if (!victim) return `server busy (${maxTransfers} transfers)`;
    }
    if (victim) {
      transfers.remove(victim);
      pool.abort(victim.id, "never acknowledged, and its slot was needed");
      tally.note("tftp transfers dropped for a newer request", () => ({
        dropped: victim.key,
        for: `${from.address}:${from.port}`,
      }));
    }
    return null;
  }

  async function request(p: Rrq, from: RemoteInfo): Promise<void> {
    const key = `${from.address}:${from.port}`;
    const existing = transfers.get(key);
    if (existing) {
      // The same request again is a retransmission (ours was slow to arrive, or the
      // listener was busy): the running transfer answers it. Another file from the same
      // port means the client gave up on the old one.
      if (existing.file === p.filename) return;
      if (existing.started)
        pool.abort(existing.id, "superseded by a new request from the same port");
      transfers.remove(existing);
    }
    if (p.mode !== "octet") {
      const why = p.mode === "netascii" ? "netascii is not supported, use octet" : "mail mode";
      refuse(from, ErrorCode.ILLEGAL_OPERATION, why, p.filename);
      return;
    }
    const full = makeRoom(from);
    if (full) {
      refuse(from, ErrorCode.NOT_DEFINED, full, p.filename);
      return;
    }
    const entry: Entry = {
      id: nextId++,
      key,
      file: p.filename,
      from,
      negotiated: null,
      started: false,
      acknowledged: false,
    };
    transfers.add(entry);
    stats.active = transfers.size;
    let fd = -1;
    try {
      const opened = await openForTransfer(root, p.filename);
      if (!opened.ok) {
        refuse(from, opened.code, opened.reason, p.filename);
        return;
      }
      fd = opened.fd;
      const st = opened.stat;
      // While this request was being set up, the server may have closed or the client may
      // have asked again for another file: then it must not start (the finally frees it).
      if (closed || transfers.get(key) !== entry) return;
      const mtuCap = mtus.capFor(from.address);
      entry.negotiated = negotiate(p.options, st.size, {
        maxBlksize: Math.min(config.tftp.maxBlksize, mtuCap ?? Infinity),
        maxWindowsize: config.tftp.maxWindowsize,
      });
      pool.start({
        id: entry.id,
        fd,
        version: fileVersion(st),
        size: st.size,
        negotiated: entry.negotiated,
        host,
        client: { address: from.address, port: from.port },
        retry,
      });
      fd = -1;
      entry.started = true;
      byId.set(entry.id, entry);
    } finally {
      if (!entry.started) transfers.remove(entry);
      stats.active = transfers.size;
      if (fd >= 0) closeFd(fd, () => undefined);
    }
  }

  function done(e: Entry, r: TransferResult): void {
    byId.delete(e.id);
    transfers.remove(e);
    stats.active = transfers.size;
    reportTransfer(ctx, stats, e, r, tally);
  }

  return {
    name: "tftp",
    port,
    stats: () => ({ ...stats, threads: pool.threadCount }),
    async close() {
      closed = true;
      await pool.close("server shutting down");
      transfers.clear();
      tally.close();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
