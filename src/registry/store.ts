import { open, rename, readFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { MachineRecord } from "./machine.js";
import { parseMac } from "../core/mac.js";

export class StateError extends Error {
  override name = "StateError";
}

const FORMAT = 1;

interface StateFile {
  format: number;
  machines: MachineRecord[];
}

/**
 * The registry's state on disk: one human-readable JSON file, replaced atomically
 * (write temp, fsync, rename, fsync directory) so that a crash leaves the old or the new file,
 * never half of one. Writes are group-committed: callers that arrive while a write is in
 * flight share the next one, so 50 concurrent registrations cost a handful of fsyncs.
 */
export class StateStore {
  readonly path: string;
  private inFlight: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(
    readonly dir: string,
    private readonly snapshot: () => MachineRecord[],
  ) {
    this.path = join(dir, "machines.json");
  }

  /** Loads the machines; a missing file is an empty registry, anything unreadable an error. */
  async load(): Promise<MachineRecord[]> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new StateError(`cannot read state file ${this.path}: ${(e as Error).message}`);
    }
    let parsed: StateFile;
    try {
      parsed = JSON.parse(text) as StateFile;
    } catch (e) {
      throw new StateError(
        `state file ${this.path} is corrupt (${(e as Error).message}); ` +
          `move it aside to start with an empty registry, or restore it from a backup`,
      );
    }
    if (parsed?.format !== FORMAT || !Array.isArray(parsed.machines)) {
      throw new StateError(
        `state file ${this.path} is not a Landscaper format-${FORMAT} state file`,
      );
    }
    for (const m of parsed.machines) {
      if (typeof m?.mac !== "string" || parseMac(m.mac) !== m.mac || typeof m.token !== "string") {
        throw new StateError(
          `state file ${this.path} has a malformed machine entry: ${JSON.stringify(m?.mac)}`,
        );
      }
    }
    return parsed.machines;
  }

  /** Resolves once a write that began after this call is on disk. */
  persist(): Promise<void> {
    if (this.next) return this.next;
    if (!this.inFlight) {
      this.inFlight = this.write().finally(() => (this.inFlight = null));
      return this.inFlight;
    }
    this.next = this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.persist();
      });
    return this.next;
  }

  private async write(): Promise<void> {
    const body: StateFile = { format: FORMAT, machines: this.snapshot() };
    const text = JSON.stringify(body, null, 2) + "\n";
    const tmp = `${this.path}.tmp-${process.pid}`;
    const fh = await open(tmp, "w", 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    const dh = await open(this.dir, "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}
