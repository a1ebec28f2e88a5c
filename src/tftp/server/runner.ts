import type { Negotiated } from "../codec/options.js";
import { PageCache, PagedFile } from "./pages.js";
import { openTid } from "./tid.js";
import type { RetryPolicy } from "./retry.js";
import { Transfer, type TransferResult } from "./transfer.js";

/**
 * Bytes of file pages kept after their last transfer let go of them: the iPXE binaries
 * (under 1 MB each at a given block size; firmware asks for one or two sizes) stay in
 * memory between boots, and a large file streams through without crowding them out for
 * long. Per runner (each transfer thread has its own).
 */
const PAGE_CACHE_BYTES = 4 * 1024 * 1024;

/**
 * Everything a thread needs to run one accepted read request: plain data, so it can be
 * posted to a worker. The request was checked, the file opened and the options agreed on
 * by the server, which closes `fd` when the runner gives it back (`fdFree`).
 */
export interface TransferSpec {
  readonly id: number;
  readonly fd: number;
  /** The file's contents version (device, inode, size, mtime, ctime). */
  readonly version: string;
  readonly size: number;
  readonly negotiated: Negotiated;
  /** Address to send from. */
  readonly host: string;
  readonly client: { readonly address: string; readonly port: number };
  readonly retry: RetryPolicy;
}

export interface RunnerEvents {
  /** Exactly once per started transfer, however it ended. */
  done(id: number, result: TransferResult): void;
  /** A datagram on the transfer's TID that does not parse. */
  malformed(id: number, reason: string): void;
  /** The client acknowledged this transfer for the first time. */
  acked(id: number): void;
  /** An exception ended this transfer (its stack, to be logged once by the server). */
  failed(id: number, stack: string): void;
  /** The transfer no longer reads `fd`: close it. Once per transfer, after or before `done`. */
  fdFree(id: number, fd: number): void;
}

/** The result of a transfer that ended before it sent anything. */
export function ended(outcome: TransferResult["outcome"], reason: string): TransferResult {
  return { outcome, bytes: 0, ms: 0, retransmits: 0, reason };
}

/** Runs transfers on the thread it lives in: the main thread, or one transfer worker. */
export class TransferRunner {
  private readonly pages = new PageCache(PAGE_CACHE_BYTES);
  /** Running transfers; the spec alone while the transfer's sockets are being opened. */
  private readonly running = new Map<number, Transfer | TransferSpec>();

  constructor(private readonly events: RunnerEvents) {}

  get active(): number {
    return this.running.size;
  }

  start(spec: TransferSpec): void {
    this.running.set(spec.id, spec);
    openTid(spec.host, spec.client).then(
      (tid) => {
        // Aborted while the sockets opened: abort() closed the fd and reported it.
        if (this.running.get(spec.id) !== spec) {
          tid.socket.close();
          tid.strangers.close();
          return;
        }
        const t = new Transfer({
          ...tid,
          fd: spec.fd,
          file: new PagedFile(spec.version, spec.size, spec.negotiated.blksize),
          pages: this.pages,
          negotiated: spec.negotiated,
          retry: spec.retry,
          onMalformed: (reason) => this.events.malformed(spec.id, reason),
          onDone: (result) => {
            this.running.delete(spec.id);
            this.events.done(spec.id, result);
          },
          onFdFree: () => this.events.fdFree(spec.id, spec.fd),
          onFirstAck: () => this.events.acked(spec.id),
          onFailure: (err) =>
            this.events.failed(
              spec.id,
              err instanceof Error ? (err.stack ?? err.message) : String(err),
            ),
        });
        this.running.set(spec.id, t);
        t.start();
      },
      (err: unknown) => {
        if (this.running.get(spec.id) !== spec) return;
        const why = err instanceof Error ? err.message : String(err);
        this.settlePending(spec, ended("error", `cannot open a transfer socket: ${why}`));
      },
    );
  }

  /** Ends a transfer now, telling its client; a no-op for one that already ended. */
  abort(id: number, reason: string): void {
    const t = this.running.get(id);
    if (t === undefined) return;
    if (t instanceof Transfer) t.abort(reason);
    else this.settlePending(t, ended("aborted", reason));
  }

  /** A transfer that never got its sockets: nothing to tell the client, only the fd to give back. */
  private settlePending(spec: TransferSpec, result: TransferResult): void {
    this.running.delete(spec.id);
    this.events.fdFree(spec.id, spec.fd);
    this.events.done(spec.id, result);
  }

  abortAll(reason: string): void {
    for (const id of [...this.running.keys()]) this.abort(id, reason);
  }
}
