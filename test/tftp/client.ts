import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { createHash } from "node:crypto";
import {
  encodeAck,
  encodeRequest,
  parsePacket,
  type TftpPacket,
} from "../../src/tftp/codec/packet.js";

/** Polls `cond` every 10 ms; rejects naming `what` after `ms`. */
export async function until(cond: () => boolean, ms = 3000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

/** A loopback UDP socket for hand-made packets, with a queue of what arrives. */
export class RawPeer {
  readonly socket: Socket;
  private readonly queue: { msg: Buffer; from: RemoteInfo }[] = [];
  private waiter: (() => void) | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("message", (msg, from) => {
      this.queue.push({ msg, from });
      this.waiter?.();
    });
  }

  /** Bound to `address` (any of 127.0.0.0/8 on Linux: distinct clients without a namespace). */
  static async open(address = "127.0.0.1"): Promise<RawPeer> {
    const socket = createSocket("udp4");
    await new Promise<void>((r) => socket.bind(0, address, r));
    return new RawPeer(socket);
  }

  send(buf: Uint8Array, port: number): void {
    this.socket.send(buf, port, "127.0.0.1");
  }

  /** Sends and waits until it left (before a close, which would drop a pending send). */
  sendNow(buf: Uint8Array, port: number): Promise<void> {
    return new Promise((resolve) => this.socket.send(buf, port, "127.0.0.1", () => resolve()));
  }

  /** The next datagram, or null after `ms`. */
  async next(ms = 2000): Promise<{ msg: Buffer; from: RemoteInfo; packet: TftpPacket } | null> {
    const deadline = Date.now() + ms;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
    const { msg, from } = this.queue.shift()!;
    const parsed = parsePacket(msg);
    if (!parsed.ok) throw new Error(`server sent a malformed packet: ${parsed.reason}`);
    return { msg, from, packet: parsed.packet };
  }

  close(): void {
    this.socket.close();
  }
}

export class TftpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`TFTP error ${code}: ${message}`);
  }
}

export interface GetOptions {
  blksize?: number;
  windowsize?: number;
  tsize?: boolean;
  /** Whole transfer must finish within this. */
  deadlineMs?: number;
  /** After the last ACK, stay this long to re-ACK a resent last block (its ACK was lost). */
  dallyMs?: number;
}

/**
 * A minimal in-process TFTP reader (lock-step or RFC 7440 windows) for tests that need many
 * concurrent clients or exact control; the real peers (curl, atftp, tftp-hpa) are tested too.
 */
export async function tftpGet(port: number, file: string, o: GetOptions = {}): Promise<Buffer> {
  const peer = await RawPeer.open();
  try {
    const options = [];
    if (o.blksize) options.push({ name: "blksize", value: String(o.blksize) });
    if (o.windowsize) options.push({ name: "windowsize", value: String(o.windowsize) });
    if (o.tsize) options.push({ name: "tsize", value: "0" });
    const rrq = encodeRequest("rrq", file, "octet", options);
    let blksize = 512;
    let windowsize = 1;
    const chunks: Uint8Array[] = [];
    let expected = 1;
    let inWindow = 0;
    let serverPort = -1;
    let lastSent: Buffer = rrq;
    let lastTo = port;
    let oacked = false;
    const deadline = Date.now() + (o.deadlineMs ?? 30000);
    peer.send(rrq, port);
    for (;;) {
      if (Date.now() > deadline) throw new Error(`transfer of ${file} timed out`);
      const got = await peer.next(300);
      if (got === null) {
        peer.send(lastSent, lastTo); // our ACK or request was lost: say it again
        continue;
      }
      if (serverPort < 0) serverPort = got.from.port;
      if (got.from.port !== serverPort) continue;
      const p = got.packet;
      if (p.op === "error") throw new TftpError(p.code, p.message);
      if (p.op === "oack") {
        // Every option asked for must be granted: a server that dropped windowsize would
        // still deliver the file intact, in lock-step, and the test would not see it.
        oacked = true;
        const granted = new Set(p.options.map((x) => x.name));
        const dropped = options.filter((x) => !granted.has(x.name) && x.name !== "tsize");
        if (dropped.length)
          throw new Error(`OACK left out ${dropped.map((x) => x.name).join(", ")}`);
        for (const opt of p.options) {
          if (opt.name === "blksize") blksize = Number(opt.value);
          if (opt.name === "windowsize") windowsize = Number(opt.value);
        }
        lastSent = encodeAck(0);
        lastTo = serverPort;
        peer.send(lastSent, serverPort);
        continue;
      }
      if (p.op !== "data") throw new Error(`unexpected ${p.op}`);
      if (!oacked && options.some((x) => x.name !== "tsize"))
        throw new Error(
          `DATA without an OACK: the options ${JSON.stringify(options)} were ignored`,
        );
      if (p.block !== (expected & 0xffff)) {
        // A gap: acknowledge the last block we have so the server resends after it.
        lastSent = encodeAck(expected - 1);
        peer.send(lastSent, serverPort);
        inWindow = 0;
        continue;
      }
      chunks.push(Buffer.from(p.data));
      expected++;
      inWindow++;
      const last = p.data.length < blksize;
      if (last || inWindow >= windowsize) {
        lastSent = encodeAck(expected - 1);
        lastTo = serverPort;
        if (last) {
          await peer.sendNow(lastSent, serverPort);
          await dally(peer, lastSent, serverPort, o.dallyMs ?? 0);
          return Buffer.concat(chunks);
        }
        peer.send(lastSent, serverPort);
        inWindow = 0;
      }
    }
  } finally {
    peer.close();
  }
}

async function dally(peer: RawPeer, ack: Buffer, port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) {
    const got = await peer.next(left);
    if (got === null) return;
    if (got.packet.op === "data") await peer.sendNow(ack, port);
  }
}
