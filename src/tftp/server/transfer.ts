import type { Socket } from "node:dgram";
import { performance } from "node:perf_hooks";
import { BlockSource } from "./blocks.js";
import type { PageCache, PagedFile } from "./pages.js";
import { ErrorCode, encodeError, encodeOack, parsePacket, Opcode } from "../codec/packet.js";
import type { Negotiated } from "../codec/options.js";
import { RetransmitTimeout, type RetryPolicy } from "./retry.js";

export type TransferOutcome = "complete" | "aborted" | "timeout" | "error";

export interface TransferResult {
  readonly outcome: TransferOutcome;
  /** File bytes the client acknowledged. */
  readonly bytes: number;
  readonly ms: number;
  readonly retransmits: number;
  readonly reason: string | null;
}

export interface TransferInit {
  /**
   * This transfer's own socket (its TID), bound and connected to the client: sends skip the
   * per-datagram address handling, and only the client's datagrams arrive on it.
   */
  readonly socket: Socket;
  /** Unconnected, on the same port: what strangers send to our TID lands here (error 5). */
  readonly strangers: Socket;
  readonly fd: number;
  /** The file at the negotiated blksize. */
  readonly file: PagedFile;
  readonly pages: PageCache;
  readonly negotiated: Negotiated;
  readonly retry: RetryPolicy;
  /** A datagram on this TID that does not parse. */
  readonly onMalformed: (reason: string) => void;
  readonly onDone: (result: TransferResult) => void;
  /** The client answered for the first time (an ACK, or an ERROR ending it): it is there. */
  readonly onFirstAck: () => void;
  /** An exception escaped this transfer's handling: it ended with "error"; the rest runs on. */
  readonly onFailure: (err: unknown) => void;
  /**
   * No read through `fd` is in flight any more, and none will start: the owner closes it
   * (the thread that opened it, so that a worker never closes a descriptor it did not open).
   */
  readonly onFdFree: () => void;
}

/**
 * One read transfer's state machine (RFC 1350 + 2347 OACK + 7440 windows). Blocks are
 * numbered absolutely (1..total) internally; only the wire carries them modulo 65536.
 */
export class Transfer {
  private readonly socket: Socket;
  private readonly blocks: BlockSource;
  private readonly window: number;
  private readonly started = performance.now();
  /** Waiting for ACK 0 of our OACK. */
  private awaitingOackAck: boolean;
  /** Highest block the client acknowledged. */
  private acked = 0;
  /** Next block to send. */
  private next = 1;
  /** Highest block ever sent: after a rewind `next` is lower, yet the client may ACK up to here. */
  private sentMax = 0;
  private retries = 0;
  private retransmits = 0;
  private readonly rto: RetransmitTimeout;
  private sentAt = 0;
  private timer: NodeJS.Timeout | null = null;
  /** When the retransmission timer is really due (performance.now() time). */
  private deadline = 0;
  private progressCount = 0;
  private fastResentAt = -1;
  private finished = false;

  constructor(private readonly init: TransferInit) {
    this.socket = init.socket;
    this.window = init.negotiated.windowsize;
    this.rto = new RetransmitTimeout(
      init.negotiated.timeoutMs ?? init.retry.initialRtoMs,
      init.retry,
    );
    this.awaitingOackAck = init.negotiated.oack.length > 0;
    this.blocks = new BlockSource(
      init.pages,
      init.file,
      init.fd,
      () => this.pump(),
      (err) => this.end("error", err.message, ErrorCode.NOT_DEFINED),
    );
    this.socket.on("message", (msg) => this.guarded(() => this.onMessage(msg)));
    init.strangers.on("message", (_msg, rinfo) => {
      // RFC 1350: a stranger on our TID gets error 5; the transfer carries on. Port 0 cannot
      // be answered (dgram.send throws), so it is ignored.
      if (rinfo.port === 0) return;
      init.strangers.send(
        encodeError(ErrorCode.UNKNOWN_TID, "unknown transfer ID"),
        rinfo.port,
        rinfo.address,
      );
    });
    init.strangers.on("error", () => undefined);
    // A failed send (ENOBUFS, EPERM from a firewall, an ICMP error) is a lost packet: the
    // retransmission timer deals with it, and gives up if it keeps happening.
    this.socket.on("error", () => undefined);
  }

  /**
   * Runs one step of this transfer; an exception inside it ends this transfer only (the
   * client gets an ERROR packet), never the thread and the other transfers on it.
   */
  private guarded(step: () => void): void {
    try {
      step();
    } catch (err) {
      this.init.onFailure(err);
      this.end("error", "internal error", ErrorCode.NOT_DEFINED);
    }
  }

  start(): void {
    if (this.awaitingOackAck) {
      this.blocks.want(1, this.window);
      this.sendOack();
    } else {
      this.pump();
    }
    this.arm();
  }

  /** Ends the transfer now (server shutting down): tells the client, frees everything. */
  abort(reason: string): void {
    this.end("aborted", reason, ErrorCode.NOT_DEFINED);
  }

  private sendOack(): void {
    this.sentAt = performance.now();
    this.socket.send(encodeOack(this.init.negotiated.oack));
  }

  /** Sends every block of the window not sent yet; stops early if a page is still loading. */
  private pump(): void {
    if (this.finished || this.awaitingOackAck) return;
    const total = this.blocks.totalBlocks;
    const limit = Math.min(this.acked + this.window, total);
    this.blocks.want(this.acked + 1, limit);
    if (this.next <= limit) this.sentAt = performance.now();
    while (this.next <= limit) {
      const packet = this.blocks.packet(this.next);
      if (packet === null) break; // the page's load calls pump again
      this.socket.send(packet);
      if (this.next > this.sentMax) this.sentMax = this.next;
      this.next++;
    }
    // Usually the kernel takes each datagram at once; when it had no room libuv keeps the
    // send, pointing into a shared page, and that page's buffer must then never be reused.
    if (this.socket.getSendQueueCount() > 0) this.blocks.sendsQueued();
  }

  private onMessage(msg: Buffer): void {
    if (this.finished) return;
    // The hot path: a well-formed ACK, without building a packet object.
    if (msg.length === 4 && msg[0] === 0 && msg[1] === Opcode.ACK) {
      this.onAck((msg[2]! << 8) | msg[3]!);
      return;
    }
    const parsed = parsePacket(msg);
    if (!parsed.ok) {
      this.init.onMalformed(parsed.reason);
      return;
    }
    const p = parsed.packet;
    if (p.op === "error") {
      if (this.progressCount === 0) this.init.onFirstAck();
      // EDK2 probes the size with tsize, then aborts with an error: free everything now.
      this.end("aborted", `client error ${p.code}: ${p.message}`, null);
    } else {
      this.socket.send(
        encodeError(ErrorCode.ILLEGAL_OPERATION, `unexpected ${p.op} during a read transfer`),
      );
    }
  }

  private onAck(wire: number): void {
    if (this.awaitingOackAck) {
      if (wire !== 0) return;
      this.awaitingOackAck = false;
      this.progressed();
      this.pump();
      return;
    }
    // Map the 16-bit number onto [acked, sentMax]; anything else is stale.
    const delta = (wire - this.acked) & 0xffff;
    const block = this.acked + delta;
    if (delta === 0) {
      this.onRepeatedAck();
      return;
    }
    if (block > this.sentMax) return;
    this.acked = block;
    this.progressed();
    if (block === this.blocks.totalBlocks) {
      this.end("complete", null, null);
      return;
    }
    // RFC 7440: the next window starts right after the acknowledged block. An ACK inside
    // the window means the blocks after it were lost; one beyond `next` (we rewound after
    // a timeout, but the earlier copies arrived after all) skips what the client has.
    this.next = block + 1;
    this.pump();
  }

  /**
   * The client acknowledged again the block it acknowledged last. In lock-step that is a
   * duplicate to ignore (answering it is the Sorcerer's Apprentice bug). With a window out,
   * it is an RFC 7440 receiver saying the block after it was lost: resend the window from
   * there, once per acknowledged block, instead of waiting for the timer.
   */
  private onRepeatedAck(): void {
    if (this.window === 1 || this.sentMax <= this.acked || this.fastResentAt === this.acked) {
      return;
    }
    this.fastResentAt = this.acked;
    this.retransmits++;
    this.next = this.acked + 1;
    this.pump();
  }

  /** The client moved: reset the retry count, learn the round trip (Karn: not after a resend). */
  private progressed(): void {
    if (this.progressCount++ === 0) this.init.onFirstAck();
    const now = performance.now();
    if (this.retries === 0) this.rto.measured(now - this.sentAt);
    this.retries = 0;
    // Only move the deadline: touching the timer itself on every ACK costs more than the
    // rest of the ACK's handling. It fires at the old time and re-arms for what is left.
    this.deadline = now + this.rto.ms;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    let ms = this.rto.after(this.retries);
    // Before the first ACK, the last wait ends when the first-ACK budget does.
    if (this.progressCount === 0)
      ms = Math.max(1, Math.min(ms, this.started + this.init.retry.firstAckMs - performance.now()));
    this.deadline = performance.now() + ms;
    this.timer = setTimeout(() => this.guarded(() => this.onTimeout()), ms);
  }

  private onTimeout(): void {
    const left = this.deadline - performance.now();
    if (left >= 1) {
      this.timer = setTimeout(() => this.guarded(() => this.onTimeout()), left);
      return;
    }
    // Timers run before the poll phase: after a busy loop iteration the client's ACK may
    // already be waiting in the socket. Look again after poll (setImmediate) so a slow
    // loop does not turn into a spurious resend of the whole window.
    const marker = this.progressCount;
    setImmediate(() =>
      this.guarded(() => {
        if (this.finished) return;
        if (this.progressCount === marker) this.expired();
        else this.onTimeout();
      }),
    );
  }

  private expired(): void {
    if (
      this.progressCount === 0 &&
      performance.now() - this.started >= this.init.retry.firstAckMs - 1
    ) {
      this.end(
        "timeout",
        `first ${this.awaitingOackAck ? "OACK" : "block"} never acknowledged`,
        null,
      );
      return;
    }
    if (this.retries >= this.init.retry.maxRetries) {
      this.end("timeout", `no answer after ${this.retries} retransmissions`, null);
      return;
    }
    this.retries++;
    this.retransmits++;
    this.arm();
    if (this.awaitingOackAck) {
      this.sendOack();
    } else {
      // Go back to the last acknowledged block and resend the whole window.
      this.next = this.acked + 1;
      this.pump();
    }
  }

  private end(outcome: TransferOutcome, reason: string | null, errorCode: number | null): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const { socket, strangers } = this.init;
    const finish = () => {
      for (const s of [socket, strangers]) {
        try {
          s.close();
        } catch {
          // already closed
        }
      }
    };
    if (errorCode !== null && reason !== null) {
      socket.send(encodeError(errorCode, reason), finish);
    } else {
      finish();
    }
    this.blocks.close(this.init.onFdFree);
    this.init.onDone({
      outcome,
      bytes: Math.min(this.init.file.size, this.acked * this.init.negotiated.blksize),
      ms: performance.now() - this.started,
      retransmits: this.retransmits,
      reason,
    });
  }
}
