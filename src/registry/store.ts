import { mkdir, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../core/log.js";
import type { Mac } from "../core/mac.js";
import type { MachineEvent, MachineRecord } from "./machine.js";
import { Journal, JOURNAL_FILE } from "./journal.js";
import {
  delLine,
  eventLine,
  putLine,
  replayJournal,
  setLine,
  type MachinePatch,
} from "./replay.js";
import { readSnapshot, SNAPSHOT_TEMP, writeSnapshot } from "./snapshot.js";

export { StateError } from "./snapshot.js";

/** The journal is folded into the snapshot once it holds this much, or as much as the snapshot. */
const COMPACT_MIN_BYTES = 4 << 20;

/** After a failed compaction (a full disk), the next try waits this long. */
const COMPACT_RETRY_MS = 60_000;

/**
 * What the registry needs from its storage, and the guarantee of each operation. Another
 * implementation (a replicated database) must give the same guarantees; see
 * docs/design.md, "State".
 */
export interface RegistryStore {
  /** Every machine with its history, as of the last durable change. */
  load(): Promise<MachineRecord[]>;
  /**
   * The whole record (history aside) and the events that changed it; `apply` makes the
   * change visible and runs only once it survives a crash, before the promise resolves.
   * Rejects with StateWriteFailed (and never applies) when it cannot be written.
   */
  putMachine(m: MachineRecord, events: readonly MachineEvent[], apply: () => void): Promise<void>;
  /** Fire and forget, like an event: what a boot step changed in the record. */
  patchMachine(p: MachinePatch): void;
  /** As putMachine: `apply` runs once the removal survives a crash. */
  removeMachine(mac: Mac, apply: () => void): Promise<void>;
  /** Fire and forget: in order with the calls above, on disk soon; a crash may lose it. */
  appendEvent(e: MachineEvent): void;
  /** Folds what accumulated into the compact form; callable any time. */
  compact(): Promise<void>;
  /** Everything written and compacted. */
  close(): Promise<void>;
}

/**
 * The registry's state on disk: a snapshot (`machines.json`, replaced atomically) plus an
 * append-only journal (`journal-N.jsonl`) of what changed since. A boot step costs its
 * journal line; the snapshot is rewritten only by compaction, in the background, when the
 * journal has grown as large as the snapshot is worth rewriting for.
 */
export class StateStore implements RegistryStore {
  readonly path: string;
  private readonly journal: Journal;
  private snapshotBytes = 0;
  /** Journal bytes from before this start, not yet folded. */
  private loadedBytes = 0;
  private compacting: Promise<void> | null = null;
  private compactAfter = 0;
  /** Torn last lines found at start-up (what a crash mid-append leaves). */
  tornLines = 0;

  constructor(
    readonly dir: string,
    private readonly machines: () => MachineRecord[],
    private readonly log: Logger,
  ) {
    this.path = join(dir, "machines.json");
    this.journal = new Journal(
      dir,
      0,
      (err) => log.error({ err }, "cannot write the state journal"),
      () => this.maybeCompact(),
    );
  }

  /**
   * The snapshot, then every journal file it does not cover, in order. Appends go to a
   * new file, so a file that ended torn is never written to again. What crashes left
   * behind (snapshot temp files, journal files a snapshot already covers) is removed.
   */
  async load(): Promise<MachineRecord[]> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    for (const name of await readdir(this.dir))
      if (SNAPSHOT_TEMP.test(name)) await unlink(join(this.dir, name));
    const snap = await readSnapshot(this.path);
    this.snapshotBytes = snap.bytes;
    const byMac = new Map(snap.machines.map((m) => [m.mac, m]));
    const files = (await readdir(this.dir))
      .map((name) => ({ name, index: Number(JOURNAL_FILE.exec(name)?.[1] ?? NaN) }))
      .filter((f) => !Number.isNaN(f.index))
      .sort((a, b) => a.index - b.index);
    let torn = 0;
    let next = snap.journal;
    for (const f of files) {
      const path = join(this.dir, f.name);
      if (f.index < snap.journal) {
        await unlink(path); // folded in before a crash cut the clean-up short
        continue;
      }
      const replayed = await replayJournal(byMac, path);
      this.loadedBytes += replayed.bytes;
      torn += replayed.torn;
      next = f.index + 1;
    }
    this.journal.index = next;
    this.tornLines = torn;
    if (torn > 0)
      this.log.warn(
        { tornLines: torn, dir: this.dir },
        "ignored a torn last journal line (a crash mid-write; the change it held was never acknowledged)",
      );
    return [...byMac.values()];
  }

  putMachine(m: MachineRecord, events: readonly MachineEvent[], apply: () => void): Promise<void> {
    // The record first: replay drops events of a machine it has not seen.
    return this.journal.appendDurable(putLine(m) + events.map(eventLine).join(""), apply);
  }

  patchMachine(p: MachinePatch): void {
    this.journal.append(setLine(p));
  }

  removeMachine(mac: Mac, apply: () => void): Promise<void> {
    return this.journal.appendDurable(delLine(mac), apply);
  }

  appendEvent(e: MachineEvent): void {
    this.journal.append(eventLine(e));
  }

  /**
   * Cuts the journal, takes the machines as they are at the cut (a shallow copy: nested
   * values are replaced, never changed in place, so it is a consistent one), writes them as
   * the new snapshot naming the first journal file it does not cover, then deletes the
   * covered ones. When the snapshot cannot be written, the old one and every journal file
   * stay, and nothing is lost.
   */
  compact(): Promise<void> {
    this.compacting ??= (async () => {
      const unfolded = this.journal.bytes;
      const cut = await this.journal.rotate(() => ({
        machines: this.machines().map((m) => ({ ...m, events: [...m.events] })),
        from: this.journal.index + 1,
      }));
      try {
        this.snapshotBytes = await writeSnapshot(this.path, cut.from, cut.machines);
      } catch (e) {
        this.loadedBytes += unfolded; // still to fold
        this.compactAfter = Date.now() + COMPACT_RETRY_MS;
        throw e;
      }
      this.loadedBytes = 0;
      for (const name of await readdir(this.dir)) {
        const index = Number(JOURNAL_FILE.exec(name)?.[1] ?? NaN);
        if (index < cut.from) await unlink(join(this.dir, name));
      }
    })().finally(() => (this.compacting = null));
    return this.compacting;
  }

  /** A stop never hangs or throws on a full disk: what cannot be written is logged. */
  async close(): Promise<void> {
    const logged = (what: string) => (err: unknown) => this.log.error({ err }, what);
    await this.journal.flush().catch(() => undefined); // logged by the journal
    await this.compacting?.catch(() => undefined);
    if (this.journal.bytes + this.loadedBytes > 0)
      await this.compact().catch(logged("cannot compact the state journal"));
    await this.journal.close().catch(() => undefined);
  }

  private maybeCompact(): void {
    const unfolded = this.journal.bytes + this.loadedBytes;
    if (this.compacting || unfolded < Math.max(COMPACT_MIN_BYTES, this.snapshotBytes)) return;
    if (Date.now() < this.compactAfter) return;
    this.compact().catch((err: unknown) =>
      this.log.error({ err }, "cannot compact the state journal"),
    );
  }
}
