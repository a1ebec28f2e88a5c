import { open, rename, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseMac } from "../core/mac.js";
import { STATES, type MachineRecord } from "./machine.js";
import { syncDir } from "./fsync.js";

export class StateError extends Error {
  override name = "StateError";
}

/** 2 added `journal`; a format-1 file (one rewritten whole per change) still loads. */
export const FORMAT = 2;

export interface Snapshot {
  machines: MachineRecord[];
  /** The first journal file not folded into these machines. */
  journal: number;
  bytes: number;
}

/** Why a stored machine record cannot be used, or null when it can. */
export function recordProblem(m: unknown): string | null {
  const r = m as Partial<MachineRecord> | null;
  if (typeof r?.mac !== "string" || parseMac(r.mac) !== r.mac)
    return `malformed machine entry: ${JSON.stringify(r?.mac)}`;
  if (typeof r.token !== "string" || typeof r.generation !== "number")
    return `machine ${r.mac} has no token or generation`;
  if (!STATES.includes(r.state as MachineRecord["state"]))
    return `machine ${r.mac} has an unknown state ${JSON.stringify(r.state)}`;
  return null;
}

/** The snapshot; a missing file is an empty registry, anything unreadable an error. */
export async function readSnapshot(path: string): Promise<Snapshot> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      return { machines: [], journal: 0, bytes: 0 };
    throw new StateError(`cannot read state file ${path}: ${(e as Error).message}`);
  }
  let parsed: { format?: unknown; journal?: unknown; machines?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (e) {
    throw new StateError(
      `state file ${path} is corrupt (${(e as Error).message}); ` +
        `move it aside to start with an empty registry, or restore it from a backup`,
    );
  }
  const format = parsed?.format;
  if ((format !== 1 && format !== FORMAT) || !Array.isArray(parsed.machines)) {
    throw new StateError(`state file ${path} is not a Landscaper format-${FORMAT} state file`);
  }
  const journal = format === 1 ? 0 : parsed.journal;
  if (typeof journal !== "number" || !Number.isSafeInteger(journal) || journal < 0)
    throw new StateError(`state file ${path} has no valid "journal" index`);
  for (const m of parsed.machines) {
    const why = recordProblem(m);
    if (why) throw new StateError(`state file ${path} has a ${why}`);
  }
  return { machines: parsed.machines as MachineRecord[], journal, bytes: text.length };
}

/**
 * Replaces the snapshot atomically (temp file, fsync, rename, fsync directory): a crash
 * leaves the old or the new file, never half of one. One machine a line, so `grep` and
 * `jq` work on it; the serialising yields now and then so a large fleet does not stall
 * the event loop. Returns the bytes written.
 */
export async function writeSnapshot(
  path: string,
  journal: number,
  machines: readonly MachineRecord[],
): Promise<number> {
  const parts: string[] = [];
  for (let i = 0; i < machines.length; i++) {
    parts.push(JSON.stringify(machines[i]));
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  const text = `{"format": ${FORMAT}, "journal": ${journal}, "machines": [\n${parts.join(",\n")}\n]}\n`;
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await syncDir(dirname(path));
  return Buffer.byteLength(text);
}
