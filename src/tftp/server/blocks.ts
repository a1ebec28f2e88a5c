import type { Page, PageCache, PageHolder, PagedFile } from "./pages.js";

/**
 * A transfer's view of its file's blocks: holds the shared pages covering the send window
 * plus one page of read-ahead, never the whole file. Pages are read with positional
 * reads on the libuv pool (the event loop never blocks on the disk).
 */
export class BlockSource implements PageHolder {
  private readonly held = new Map<number, Page>();
  private firstHeld = -1;
  private lastHeld = -1;
  private reads = 0;
  private closed = false;
  private pendingClose: (() => void) | null = null;

  /**
   * `onReady` runs when a page finishes loading (the transfer may have been waiting for
   * it); `onError` when a read fails or the file shrank under us.
   */
  constructor(
    private readonly cache: PageCache,
    readonly file: PagedFile,
    readonly fd: number,
    private readonly onReady: () => void,
    private readonly onError: (err: Error) => void,
  ) {}

  get totalBlocks(): number {
    return this.file.totalBlocks;
  }

  /** The DATA packet for block n, or null when its page is not loaded yet. */
  packet(n: number): Buffer | null {
    const page = this.held.get(this.file.pageOf(n));
    if (page === undefined || page.state !== "ready") return null;
    return page.packets[(n - 1) % this.file.perPage]!;
  }

  /** Holds the pages for blocks [from, to] and the one after; lets go of all others. */
  want(from: number, to: number): void {
    if (this.closed) return;
    const first = this.file.pageOf(from);
    const last = Math.min(this.file.lastPage, this.file.pageOf(to) + 1);
    if (first === this.firstHeld && last === this.lastHeld) return;
    this.firstHeld = first;
    this.lastHeld = last;
    for (const [i, page] of this.held) {
      if (i >= first && i <= last) continue;
      this.held.delete(i);
      this.cache.release(this.file, page, this);
    }
    for (let p = first; p <= last; p++) {
      if (!this.held.has(p)) this.held.set(p, this.cache.hold(this.file, p, this));
    }
  }

  /** libuv queued some of our sends: the pages we hold may be read after we let go. */
  sendsQueued(): void {
    for (const page of this.held.values()) page.queuedSend = true;
  }

  readStarted(): void {
    this.reads++;
  }

  readEnded(): void {
    this.reads--;
    this.maybeFinishClose();
  }

  pageSettled(_page: Page, err: Error | null): void {
    if (this.closed) return;
    if (err) this.onError(err);
    else this.onReady();
  }

  /** Lets go of every page; `done` runs once no read through our fd is in flight. */
  close(done: () => void): void {
    if (this.closed) return;
    this.closed = true;
    for (const page of this.held.values()) this.cache.release(this.file, page, this);
    this.held.clear();
    this.pendingClose = done;
    this.maybeFinishClose();
  }

  private maybeFinishClose(): void {
    if (!this.pendingClose || this.reads > 0) return;
    const done = this.pendingClose;
    this.pendingClose = null;
    done();
  }
}
