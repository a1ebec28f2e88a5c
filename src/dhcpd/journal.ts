/**
 * The lease journal: append-only JSON lines, made durable in groups (every record that
 * arrives while one fsync runs goes out in the next write + fsync), compacted into a
 * snapshot when it grows, and read back tolerating a torn last line (a crash mid-write).
 *
 * `append` resolves only once its record is on disk: the server sends an ACK after that,
 * so kill -9 at any moment loses no lease a client was told it has.
 *
 * The interface (LeaseStore) is narrow on purpose: the machine registry's journal may
 * take this job over later.
 */
import { open, rename, readFile, type FileHandle } from "node:fs/promises";
import { writeSync } from "node:fs";
import { dirname } from "node:path";
import { decodeRecord, encodeRecord, type LeaseRecord } from "./lease.js";

export interface LeaseStore {
  /** Resolves once `r` is durable; rejects when the disk refused it. */
  append(r: LeaseRecord): Promise<void>;
  /** Writes what is pending, then closes. */
  close(): Promise<void>;
  /** Durable writes so far (an fsync each) and records written, for the benchmark. */
  readonly stats: { readonly syncs: number; readonly records: number };
}

export interface Loaded {
  readonly records: LeaseRecord[];
  /** Lines that did not decode (a torn tail counts here). */
  readonly skipped: number;
}

/** Reads the journal; a missing file is an empty one. */
export async function readJournal(path: string): Promise<Loaded & { goodBytes: number }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      return { records: [], skipped: 0, goodBytes: 0 };
    throw e;
  }
  const records: LeaseRecord[] = [];
  let skipped = 0;
  // Only newline-terminated lines count: a last line without one was torn by a crash.
  const end = text.lastIndexOf("\n") + 1;
  for (const line of text.slice(0, end).split("\n")) {
    if (line === "") continue;
    const r = decodeRecord(line);
    if (r) records.push(r);
    else skipped++;
  }
  if (end < text.length) skipped++;
  return { records, skipped, goodBytes: Buffer.byteLength(text.slice(0, end)) };
}

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}

class JsonlJournal implements LeaseStore {
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | null = null;
  private lines: number;
  private compactAt: number;
  readonly stats = { syncs: 0, records: 0 };

  constructor(
    private fh: FileHandle,
    private readonly path: string,
    lines: number,
    private readonly snapshot: () => Iterable<LeaseRecord>,
    private readonly minCompact: number,
    /** false: a record counts as written once write(2) returns (see openJournal). */
    private readonly sync: boolean,
  ) {
    this.lines = lines;
    this.compactAt = Math.max(minCompact, 2 * lines);
  }

  append(r: LeaseRecord): Promise<void> {
    this.pending.push(encodeRecord(r) + "\n");
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    // setImmediate, not a microtask: every packet already read in this turn joins the group.
    this.flushing ??= new Promise<void>((r) => setImmediate(r)).then(() => this.flush());
    return p;
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.join("");
        const n = this.pending.length;
        const waiters = this.waiters;
        this.pending = [];
        this.waiters = [];
        try {
          // Without fsync the write only copies into the page cache: done in place, it
          // saves a thread-pool round trip per group (the latency of a lone client).
          if (this.sync) await this.fh.write(batch);
          else writeSync(this.fh.fd, batch);
          if (this.sync) {
            await this.fh.datasync();
            this.stats.syncs++;
          }
          this.stats.records += n;
          this.lines += n;
          for (const w of waiters) w.resolve();
        } catch (e) {
          for (const w of waiters) w.reject(e as Error);
          continue;
        }
        if (this.lines >= this.compactAt) await this.compact().catch(() => undefined);
      }
    } finally {
      this.flushing = null;
    }
  }

  /**
   * Replaces the journal with the owner's current state: a new file, fsynced, renamed over
   * the old one, the directory fsynced. The state already includes every record appended
   * so far, so nothing between the snapshot and the rename is lost.
   */
  private async compact(): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const out = await open(tmp, "w", 0o600);
    let n = 0;
    try {
      const chunk: string[] = [];
      for (const r of this.snapshot()) {
        chunk.push(encodeRecord(r) + "\n");
        n++;
        if (chunk.length >= 4096) await out.write(chunk.splice(0).join(""));
      }
      if (chunk.length) await out.write(chunk.join(""));
      await out.datasync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.path);
    await syncDir(dirname(this.path));
    const old = this.fh;
    this.fh = await open(this.path, "a", 0o600);
    await old.close();
    this.lines = n;
    this.compactAt = Math.max(this.minCompact, 2 * n);
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/**
 * Opens (creating) the journal at `path`: returns its records, to restore the engine with,
 * and the store. A torn tail is cut off so appends start on a line boundary. `snapshot`
 * gives the live records when the journal is compacted (after `minCompact` lines at least).
 *
 * `sync` (default true): `append` resolves after fdatasync, so an acknowledged lease
 * survives power loss. false: after write(2), so it survives the process being killed
 * (kill -9: the kernel holds the page) but not the machine losing power.
 */
export async function openJournal(
  path: string,
  snapshot: () => Iterable<LeaseRecord>,
  minCompact = 10_000,
  sync = true,
): Promise<Loaded & { store: LeaseStore }> {
  const loaded = await readJournal(path);
  const fh = await open(path, "a+", 0o600);
  try {
    const { size } = await fh.stat();
    if (size > loaded.goodBytes) {
      await fh.truncate(loaded.goodBytes);
      await fh.datasync();
    }
  } catch (e) {
    await fh.close();
    throw e;
  }
  const store = new JsonlJournal(fh, path, loaded.records.length, snapshot, minCompact, sync);
  return { records: loaded.records, skipped: loaded.skipped, store };
}
