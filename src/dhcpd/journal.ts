/**
 * The lease journal: append-only JSON lines, made durable in groups (every record that
 * arrives while one fsync runs goes out in the next write + fsync), compacted into a
 * snapshot when it grows, and read back tolerating a torn last line (a crash mid-write).
 *
 * `write` calls back only once its record is on disk: the server sends an ACK after that,
 * so kill -9 at any moment loses no lease a client was told it has.
 *
 * Compaction runs beside the appends, not in front of them: while the snapshot is written
 * and fsynced, records still go to the old file, and are copied to the new one in the
 * synchronous step that renames it into place. (Held ACKs until it was done cost up to
 * 69 ms at p99.9 with 64 exchanges in flight; docs/benchmarks.md, DHCP server mode.)
 *
 * The interface (LeaseStore) is narrow on purpose: the machine registry's journal may
 * take this job over later.
 */
import { open, readFile, rm, type FileHandle } from "node:fs/promises";
import { fdatasyncSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { decodeRecord, encodeRecord, type LeaseRecord } from "./lease.js";

/** Told once a record is durable (null) or was refused by the disk (the error). */
export type Written = (err: Error | null) => void;

export interface LeaseStore {
  /** Calls `done` once `r` is durable. One callback, no promise: it runs per ACK. */
  write(r: LeaseRecord, done: Written): void;
  /** Writes what is pending, lets a running compaction finish, then closes. */
  close(): Promise<void>;
  /** Durable writes so far (an fsync each), records written and compactions done. */
  readonly stats: {
    readonly syncs: number;
    readonly records: number;
    readonly compactions: number;
  };
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

class JsonlJournal implements LeaseStore {
  private pending: string[] = [];
  private written: Written[] = [];
  /** A flush is due at the next check phase: every packet read in this turn joins it. */
  private scheduled = false;
  /** The write + fsync in flight (fsync on), or the directory fsync after a rename. */
  private inflight: Promise<void> | null = null;
  private compacting: Promise<void> | null = null;
  /** While a compaction runs: every batch written since it began, for the new file. */
  private since: string[] | null = null;
  private sinceLines = 0;
  private lines: number;
  private compactAt: number;
  readonly stats = { syncs: 0, records: 0, compactions: 0 };

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

  write(r: LeaseRecord, done: Written): void {
    this.pending.push(encodeRecord(r) + "\n");
    this.written.push(done);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushDue);
  }

  private readonly flushDue = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** Writes the pending group, unless one is in flight (its end starts the next). */
  private flush(): void {
    if (this.inflight || this.pending.length === 0) return;
    const batch = this.pending.join("");
    const n = this.pending.length;
    const written = this.written;
    this.pending = [];
    this.written = [];
    if (this.since) {
      this.since.push(batch);
      this.sinceLines += n;
    }
    const fh = this.fh;
    if (!this.sync) {
      // Without fsync the write only copies into the page cache: done in place, it
      // saves a thread-pool round trip per group (the latency of a lone client).
      let err: Error | null = null;
      try {
        writeSync(fh.fd, batch);
      } catch (e) {
        err = e as Error;
      }
      return this.settle(n, written, err);
    }
    const flight: Promise<void> = fh
      .write(batch)
      .then(() => fh.datasync())
      .then(
        () => {
          this.stats.syncs++;
          return null;
        },
        (e: Error) => e,
      )
      .then((err) => {
        // A compaction may have put its directory fsync in front meanwhile: keep it there.
        if (this.inflight === flight) this.inflight = null;
        this.settle(n, written, err);
        this.flush();
      });
    this.inflight = flight;
  }

  private settle(n: number, written: Written[], err: Error | null): void {
    if (!err) {
      this.stats.records += n;
      this.lines += n;
      if (this.lines >= this.compactAt && !this.compacting)
        this.compacting = this.compact()
          // Failed (a full disk): the journal only grows; try again after as many records.
          .catch(() => (this.compactAt = this.lines + this.minCompact))
          .then(() => void (this.compacting = null));
    }
    for (const done of written) done(err);
  }

  /**
   * Replaces the journal with the owner's current state: a new file written and fsynced
   * while appends go on to the old one, then, in one synchronous step (nothing can be
   * appended in between), the records appended meanwhile are copied over (and fsynced,
   * with fsync on) and the new file is renamed over the old one. The state read for the
   * snapshot holds every record appended before it was read; the copy holds the rest.
   */
  private async compact(): Promise<void> {
    const tmp = `${this.path}.tmp`;
    this.since = [];
    this.sinceLines = 0;
    let out: FileHandle | null = null;
    try {
      out = await open(tmp, "w", 0o600);
      let n = 0;
      const chunk: string[] = [];
      for (const r of this.snapshot()) {
        chunk.push(encodeRecord(r) + "\n");
        n++;
        // 256 lines (~28 KB, ~0.15 ms to encode) between waits: packets are answered
        // in between, so a lone client waits at most that long for a compaction.
        if (chunk.length >= 256) await out.write(chunk.splice(0).join(""));
      }
      if (chunk.length) await out.write(chunk.join(""));
      await out.datasync();
      // The switch: synchronous from here to the rename.
      const copied = this.since.join("");
      if (copied) {
        writeSync(out.fd, copied);
        if (this.sync) fdatasyncSync(out.fd);
      }
      renameSync(tmp, this.path);
      const old = this.fh;
      this.fh = out;
      out = null;
      this.lines = n + this.sinceLines;
      this.compactAt = Math.max(this.minCompact, 2 * this.lines);
      this.since = null;
      this.stats.compactions++;
      // With fsync on, the rename must be durable before the next group is acknowledged:
      // the directory fsync goes in front of it, as if it were a write in flight.
      const before = this.inflight;
      const dirSynced = (async () => {
        await before;
        await syncDir(dirname(this.path));
      })();
      if (this.sync) {
        const flight: Promise<void> = dirSynced
          .catch(() => undefined)
          .then(() => {
            if (this.inflight === flight) this.inflight = null;
            this.flush();
          });
        this.inflight = flight;
      }
      await dirSynced.catch(() => undefined);
      await old.close();
    } catch (e) {
      this.since = null;
      if (out) {
        await out.close().catch(() => undefined);
        await rm(tmp, { force: true }).catch(() => undefined);
      }
      throw e;
    }
  }

  async close(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      if (this.scheduled) await new Promise((r) => setImmediate(r));
      else if (this.inflight) await this.inflight;
      else if (this.compacting) await this.compacting;
      else break;
    }
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
 * `sync` (default true): `write` calls back after fdatasync, so an acknowledged lease
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
