import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { syncDir } from "./fsync.js";
import { StateWriteFailed } from "./write-failed.js";

/** Boot-step events wait at most this long for their fsync; a crash may lose them. */
export const COMMIT_MS = 100;

/** `journal-000042.jsonl`: files sort by name in the order they were written. */
export function journalName(index: number): string {
  return `journal-${String(index).padStart(6, "0")}.jsonl`;
}

export const JOURNAL_FILE = /^journal-(\d{6,})\.jsonl$/;

/** A durable append: its lines, what it changes once they are on disk, and its caller. */
interface Durable {
  text: string;
  apply: () => void;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface OpenFile {
  fh: FileHandle;
  path: string;
  /** Bytes in the file: where a failed write is cut back to. */
  size: number;
}

/**
 * The append-only journal: one JSON line per change, written with group commit. Two kinds
 * of append:
 *
 * - plain (a boot step): its change is already in memory; the line waits up to COMMIT_MS
 *   for company, so one fsync covers many events and a boot step costs its line, not a
 *   page; a crash or a failed write may lose it.
 * - durable (a registration, a removal, an installer transition): durable first, visible
 *   after. The write starts at once; `apply` (which makes the change visible in memory)
 *   runs only after the fsync that covers it, synchronously, before anything else can
 *   read the state; when the write fails, `apply` never runs and the caller gets the error.
 *
 * Writes are strictly serial (one `chain`), across rotations too: a file is complete and
 * synced before the next one receives a byte, so only the newest file can end torn.
 */
export class Journal {
  private file: OpenFile | null = null;
  /** Plain lines: already in memory. */
  private pending: string[] = [];
  /** Durable appends: not in memory until written. */
  private durable: Durable[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> | null = null;
  /** Bytes in journal files not yet folded into a snapshot. */
  bytes = 0;

  constructor(
    private readonly dir: string,
    /** The file appends go to; earlier ones are read at start-up only. */
    public index: number,
    private readonly onError: (e: StateWriteFailed) => void,
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

  /** Resolves once `text` is on disk and `apply` has run; rejects (and never applies) if not. */
  appendDurable(text: string, apply: () => void): Promise<void> {
    const done = new Promise<void>((resolve, reject) =>
      this.durable.push({ text, apply, resolve, reject }),
    );
    this.kick();
    return done;
  }

  /** Resolves once everything appended so far is on disk. */
  flush(): Promise<void> {
    if (this.pending.length === 0 && this.durable.length === 0)
      return this.chain ?? Promise.resolve();
    return this.appendDurable("", () => undefined);
  }

  /**
   * Ends the current file and starts the next; `capture` runs synchronously at the cut, so
   * what it sees is exactly what the ended files hold: the plain lines (already in memory)
   * go to the ended file, durable appends still waiting (not yet in memory) to the next.
   * Resolves once the ended files are synced.
   */
  async rotate<T>(capture: () => T): Promise<T> {
    while (this.chain) await this.chain;
    const value = capture();
    const text = this.pending.join("");
    this.pending = [];
    const old = { file: this.file, index: this.index };
    this.file = null;
    this.index += 1;
    this.bytes = 0;
    this.chain = (async () => {
      const file = await this.write(old.file, old.index, { text, durable: [] });
      await file?.fh.close();
    })().finally(() => this.next());
    await this.chain;
    return value;
  }

  async close(): Promise<void> {
    await this.flush();
    while (this.chain) await this.chain;
    await this.file?.fh.close();
    this.file = null;
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.chain || (this.pending.length === 0 && this.durable.length === 0)) return;
    // Plain lines first: they happened before any durable change still waiting here (a
    // machine's boot steps wait for its pending change: see MachineBook.step).
    const durable = this.durable;
    const text = this.pending.join("") + durable.map((d) => d.text).join("");
    this.pending = [];
    this.durable = [];
    this.chain = (async () => {
      this.file = await this.write(this.file, this.index, { text, durable });
    })().finally(() => this.next());
  }

  /**
   * Writes and syncs one batch (opening file `index` if need be), then applies and settles
   * its durable appends. A failed write is cut back off the file, so a refused change can
   * never come back at the next start.
   */
  private async write(
    file: OpenFile | null,
    index: number,
    batch: { text: string; durable: Durable[] },
  ): Promise<OpenFile | null> {
    const path = file?.path ?? join(this.dir, journalName(index));
    try {
      if (batch.text) {
        if (!file) {
          const fh = await open(path, "a", 0o600);
          file = { fh, path, size: (await fh.stat()).size };
          // The new name must survive a crash as well as the bytes written under it.
          await syncDir(this.dir);
        }
        await file.fh.appendFile(batch.text); // loops until all is written, unlike write()
        await file.fh.sync();
        const n = Buffer.byteLength(batch.text);
        file.size += n;
        if (index === this.index) this.bytes += n;
      }
    } catch (e) {
      const failed = new StateWriteFailed(e, path);
      this.onError(failed);
      for (const d of batch.durable) d.reject(failed);
      return this.cutBack(file, index);
    }
    for (const d of batch.durable) {
      try {
        d.apply();
      } catch (e) {
        d.reject(e); // a bug, not a write failure: the line is on disk, the caller hears
        continue;
      }
      d.resolve();
    }
    return file;
  }

  /**
   * After a failed write: the file is truncated to what it held before, so neither half a
   * line nor a whole line of a refused change stays. If even that fails, later lines go to
   * a new file, and what is left is this file's torn tail (ignored at start-up).
   */
  private async cutBack(file: OpenFile | null, index: number): Promise<OpenFile | null> {
    if (!file) return null;
    try {
      await file.fh.truncate(file.size);
      await file.fh.sync();
      return file;
    } catch {
      await file.fh.close().catch(() => undefined);
      if (index === this.index) this.index += 1;
      return null;
    }
  }

  /** After a write: durable appends that arrived meanwhile go at once, events on the timer. */
  private next(): void {
    this.chain = null;
    this.onWritten();
    if (this.durable.length > 0) this.kick();
    else if (this.pending.length > 0 && !this.timer) {
      this.timer = setTimeout(() => this.kick(), COMMIT_MS);
      this.timer.unref();
    }
  }
}
