import { readv } from "node:fs";
import { writeDataHeader } from "./codec.js";

/** Aim for pages of about this many bytes: one readv per page, not per block. */
const PAGE_BYTES = 48 * 1024;
/** Linux IOV_MAX is 1024; one iovec per block. */
const MAX_BLOCKS_PER_PAGE = 1024;
/** Spare page buffers kept for the next transfers, in bytes over all sizes. */
const POOL_BYTES = 16 * 1024 * 1024;

/**
 * Page buffers outlive their transfer: a burst of transfers (200 machines booting) reuses
 * them instead of leaving megabytes of garbage for the collector to find later, which
 * kept the process's peak RSS several times higher than the pages in use.
 */
const pool = new Map<number, Buffer[]>();
let pooledBytes = 0;

function takeBuffer(size: number): Buffer {
  const buf = pool.get(size)?.pop();
  if (!buf) return Buffer.allocUnsafe(size);
  pooledBytes -= size;
  return buf;
}

function giveBack(buf: Buffer): void {
  if (pooledBytes + buf.length > POOL_BYTES) return;
  let free = pool.get(buf.length);
  if (!free) pool.set(buf.length, (free = []));
  free.push(buf);
  pooledBytes += buf.length;
}

/**
 * One ring slot: a page of consecutive blocks laid out as ready-to-send DATA packets
 * (4 header bytes then the block's data), filled by one readv straight into place. The
 * packet views are made once per slot, so sending a block allocates nothing.
 */
interface Slot {
  /** The page this slot holds or is loading; -1 when empty. */
  page: number;
  ready: boolean;
  loading: boolean;
  buf: Buffer | null;
  packets: Buffer[];
  iov: Buffer[];
}

/**
 * A file's blocks for one transfer, read ahead a page at a time with positional reads on
 * the libuv pool (the event loop never blocks on the disk). Holds only the pages covering
 * the send window plus one page of read-ahead, never the whole file.
 */
export class BlockSource {
  readonly totalBlocks: number;
  readonly perPage: number;
  private readonly ring: Slot[];
  private readonly lastPage: number;
  private closed = false;
  private pendingClose: (() => void) | null = null;

  /**
   * `onReady` runs when a page finishes loading (the transfer may have been waiting for
   * it); `onError` when a read fails or the file shrank under us.
   */
  constructor(
    private readonly fd: number,
    private readonly size: number,
    private readonly blksize: number,
    window: number,
    private readonly onReady: () => void,
    private readonly onError: (err: Error) => void,
  ) {
    // Block n (1-based) holds bytes [(n-1)*blksize, n*blksize); a final short (maybe empty)
    // block tells the client the file ended.
    this.totalBlocks = Math.floor(size / blksize) + 1;
    this.perPage = Math.max(
      1,
      Math.min(Math.ceil(PAGE_BYTES / blksize), MAX_BLOCKS_PER_PAGE, this.totalBlocks),
    );
    this.lastPage = Math.floor((this.totalBlocks - 1) / this.perPage);
    // A window of w blocks straddles at most ceil((w-1)/perPage)+1 pages; one more is the
    // read-ahead (so lock-step needs two).
    const slots = Math.min(this.lastPage + 1, Math.ceil((window - 1) / this.perPage) + 2);
    this.ring = Array.from({ length: slots }, () => ({
      page: -1,
      ready: false,
      loading: false,
      buf: null,
      packets: [],
      iov: [],
    }));
  }

  /** Data length of block n. */
  dataLength(n: number): number {
    return n < this.totalBlocks ? this.blksize : this.size - (n - 1) * this.blksize;
  }

  /** The DATA packet for block n, or null when its page is not loaded yet. */
  packet(n: number): Buffer | null {
    const page = Math.floor((n - 1) / this.perPage);
    const slot = this.ring[page % this.ring.length]!;
    if (slot.page !== page || !slot.ready) return null;
    const i = (n - 1) % this.perPage;
    const full = slot.packets[i]!;
    if (n < this.totalBlocks) {
      // Wire block numbers roll over to 0 after 65535 (writeDataHeader keeps the low 16 bits).
      writeDataHeader(full, 0, n);
      return full;
    }
    const last = full.subarray(0, 4 + this.dataLength(n));
    writeDataHeader(last, 0, n);
    return last;
  }

  /** Makes sure the pages for blocks [from, to] and the one after are loaded or loading. */
  want(from: number, to: number): void {
    if (this.closed) return;
    const first = Math.floor((from - 1) / this.perPage);
    const last = Math.min(this.lastPage, Math.floor((to - 1) / this.perPage) + 1);
    for (let p = first; p <= last && p < first + this.ring.length; p++) {
      const slot = this.ring[p % this.ring.length]!;
      if (slot.page === p) continue;
      slot.page = p;
      slot.ready = false;
      if (!slot.loading) this.load(slot);
    }
  }

  private load(slot: Slot): void {
    const page = slot.page;
    if (slot.buf === null) this.allocate(slot);
    const offset = page * this.perPage * this.blksize;
    const expected = Math.max(0, Math.min(this.perPage * this.blksize, this.size - offset));
    slot.loading = true;
    readv(this.fd, slot.iov, offset, (err, bytes) => {
      slot.loading = false;
      if (this.closed) {
        this.maybeFinishClose();
        return;
      }
      // Repurposed while reading: load what it holds now instead.
      if (slot.page !== page) {
        this.load(slot);
        return;
      }
      if (err) return this.onError(err);
      if (bytes < expected) {
        return this.onError(new Error(`short read at ${offset}: file changed while served`));
      }
      slot.ready = true;
      this.onReady();
    });
  }

  private allocate(slot: Slot): void {
    const stride = this.blksize + 4;
    const buf = takeBuffer(stride * this.perPage);
    slot.buf = buf;
    for (let i = 0; i < this.perPage; i++) {
      slot.packets.push(buf.subarray(i * stride, (i + 1) * stride));
      slot.iov.push(buf.subarray(i * stride + 4, (i + 1) * stride));
    }
  }

  /** Stops reading; `done` runs once no read is in flight (the fd may then be closed). */
  close(done: () => void): void {
    this.closed = true;
    this.pendingClose = done;
    this.maybeFinishClose();
  }

  private maybeFinishClose(): void {
    if (!this.pendingClose || this.ring.some((s) => s.loading)) return;
    const done = this.pendingClose;
    this.pendingClose = null;
    for (const s of this.ring) {
      if (s.buf) giveBack(s.buf);
      s.buf = null;
      s.packets = [];
      s.iov = [];
    }
    done();
  }
}
