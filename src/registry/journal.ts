import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { syncDir } from "./fsync.js";

/** Boot-step events wait at most this long for their fsync; a crash may lose them. */
export const COMMIT_MS = 100;

/** `journal-000042.jsonl`: files sort by name in the order they were written. */
export function journalName(index: number): string {
  return `journal-${String(index).padStart(6, "0")}.jsonl`;
}

export const JOURNAL_FILE = /^journal-(\d{6,})\.jsonl$/;

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * The append-only journal: one JSON line per change, written with group commit. A durable
 * append (a machine record) starts a write at once and resolves after the fsync that
 * covers it; a plain append (a boot step) waits up to COMMIT_MS for company, so one
 * fsync covers many events and a boot step costs its line, not a page.
 *
 * Writes are strictly serial (one `chain`), across rotations too: a file is complete and
 * synced before the next one receives a byte, so only the newest file can end torn.
 */
export class Journal {
  private fh: FileHandle | null = null;
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> | null = null;
  /** Bytes in journal files not yet folded into a snapshot. */
  bytes = 0;

  constructor(
    private readonly dir: string,
    /** The file appends go to; earlier ones are read at start-up only. */
    public index: number,
    private readonly onError: (e: unknown) => void,
    /** Called after each write, e.g. to start a compaction. */
    private readonly onWritten: () => void,
  ) {}

  append(line: string): void {
    this.pending.push(line);
    if (!this.chain && !this.timer) {
      this.timer = setTimeout(() => this.kick(), COMMIT_MS);
      this.timer.unref();
    }
  }

  appendDurable(line: string): Promise<void> {
    this.pending.push(line);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.kick();
    return done;
  }

  /** Resolves once everything appended so far is on disk. */
  flush(): Promise<void> {
    if (this.pending.length === 0) return this.chain ?? Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.kick();
    return done;
  }

  /**
   * Ends the current file and starts the next; `capture` runs synchronously at the cut, so
   * what it sees is exactly what the ended files hold. Resolves once they are synced.
   */
  async rotate<T>(capture: () => T): Promise<T> {
    while (this.chain) await this.chain;
    const value = capture();
    const batch = this.take();
    const old = { fh: this.fh, index: this.index };
    this.fh = null;
    this.index += 1;
    this.bytes = 0;
    this.chain = (async () => {
      const fh = await this.write(old.fh, old.index, batch);
      await fh?.close();
    })().finally(() => this.next());
    await this.chain;
    return value;
  }

  async close(): Promise<void> {
    await this.flush();
    while (this.chain) await this.chain;
    await this.fh?.close();
    this.fh = null;
  }

  private take(): { text: string; waiters: Waiter[] } {
    const batch = { text: this.pending.join(""), waiters: this.waiters };
    this.pending = [];
    this.waiters = [];
    return batch;
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.chain || this.pending.length === 0) return;
    const batch = this.take();
    this.chain = (async () => {
      this.fh = await this.write(this.fh, this.index, batch);
    })().finally(() => this.next());
  }

  /** Writes and syncs one batch (opening file `index` if need be); settles its waiters. */
  private async write(
    fh: FileHandle | null,
    index: number,
    batch: { text: string; waiters: Waiter[] },
  ): Promise<FileHandle | null> {
    try {
      if (batch.text) {
        if (!fh) {
          fh = await open(join(this.dir, journalName(index)), "a", 0o600);
          // The new name must survive a crash as well as the bytes written under it.
          await syncDir(this.dir);
        }
        await fh.appendFile(batch.text); // loops until all is written, unlike write()
        await fh.sync();
        if (index === this.index) this.bytes += Buffer.byteLength(batch.text);
      }
      for (const w of batch.waiters) w.resolve();
    } catch (e) {
      for (const w of batch.waiters) w.reject(e);
      if (batch.waiters.length === 0) this.onError(e);
      // A failed write may have left half a line: later lines go to a new file, so that
      // half line stays a torn tail (ignored at start-up), not a corrupt middle.
      await fh?.close().catch(() => undefined);
      if (index === this.index) this.index += 1;
      return null;
    }
    return fh;
  }

  /** After a write: durable appends that arrived meanwhile go at once, events on the timer. */
  private next(): void {
    this.chain = null;
    this.onWritten();
    if (this.waiters.length > 0) this.kick();
    else if (this.pending.length > 0 && !this.timer) {
      this.timer = setTimeout(() => this.kick(), COMMIT_MS);
      this.timer.unref();
    }
  }
}
