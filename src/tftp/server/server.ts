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
import { newStats, reportTransfer, type Entry, type TftpStats } from "./report.js";
import { DEFAULT_RETRY, type RetryPolicy, type TransferResult } from "./transfer.js";

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

type Rrq = Extract<TftpPacket, { filename: string }>;

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
  const stats = newStats();
  /** Requests by client endpoint; `started` once handed to the pool (then also in `byId`). */
  const transfers = new Map<string, Entry>();
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
  const port = listener.address().port;

  function malformed(reason: string, from: RemoteInfo): void {
    stats.malformed++;
    metrics.tftpMalformed.inc();
    log.debug({ client: `${from.address}:${from.port}`, reason }, "tftp datagram dropped");
  }

  function refuse(to: RemoteInfo, code: number, reason: string, file: string | null): void {
    stats.refused++;
    metrics.tftpTransfers.inc({ outcome: "refused" });
    log.info({ client: `${to.address}:${to.port}`, file, code, reason }, "tftp request refused");
    listener.send(encodeError(code, reason), to.port, to.address);
  }

  listener.on("message", (msg, rinfo) => {
    // dgram.send throws at once for port 0, and from this handler that would end the process.
    if (rinfo.port === 0) return malformed("source port 0", rinfo);
    const parsed = parsePacket(msg);
    if (!parsed.ok) {
      malformed(parsed.reason, rinfo);
      const opcode = msg.length >= 2 ? msg.readUInt16BE(0) : 0;
      if (opcode < Opcode.RRQ || opcode > Opcode.OACK) {
        listener.send(
          encodeError(ErrorCode.ILLEGAL_OPERATION, `unknown opcode ${opcode}`),
          rinfo.port,
          rinfo.address,
        );
      }
      return;
    }
    const p = parsed.packet;
    switch (p.op) {
      case "rrq":
        void request(p, rinfo).catch((err: unknown) => {
          log.error({ err, file: p.filename }, "tftp request failed unexpectedly");
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
        listener.send(
          encodeError(ErrorCode.UNKNOWN_TID, `${p.op} without a transfer`),
          rinfo.port,
          rinfo.address,
        );
        return;
    }
  });

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
      transfers.delete(key);
    }
    if (p.mode !== "octet") {
      const why = p.mode === "netascii" ? "netascii is not supported, use octet" : "mail mode";
      refuse(from, ErrorCode.ILLEGAL_OPERATION, why, p.filename);
      return;
    }
    if (transfers.size >= maxTransfers) {
      refuse(from, ErrorCode.NOT_DEFINED, `server busy (${maxTransfers} transfers)`, p.filename);
      return;
    }
    const entry: Entry = {
      id: nextId++,
      key,
      file: p.filename,
      from,
      negotiated: null,
      started: false,
    };
    transfers.set(key, entry);
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
      if (!entry.started && transfers.get(key) === entry) transfers.delete(key);
      stats.active = transfers.size;
      if (fd >= 0) closeFd(fd, () => undefined);
    }
  }

  function done(e: Entry, r: TransferResult): void {
    byId.delete(e.id);
    if (transfers.get(e.key) === e) transfers.delete(e.key);
    stats.active = transfers.size;
    reportTransfer(ctx, stats, e, r);
  }

  return {
    name: "tftp",
    port,
    stats: () => ({ ...stats, threads: pool.threadCount }),
    async close() {
      closed = true;
      await pool.close("server shutting down");
      transfers.clear();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
