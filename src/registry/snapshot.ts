import { open, rename, readFile, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import type { Mac } from "../core/mac.js";
import { STATES, type MachineRecord } from "./machine.js";
import { syncDir } from "./fsync.js";
import { fileLines } from "./lines.js";

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

const CANONICAL_MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** A MAC as stored: only ever written in canonical form (what `parseMac` returns). */
export function isCanonicalMac(v: unknown): v is Mac {
  return typeof v === "string" && CANONICAL_MAC.test(v);
}

/** Why a stored machine record cannot be used, or null when it can. */
export function recordProblem(m: unknown): string | null {
  const r = m as Partial<MachineRecord> | null;
  if (!isCanonicalMac(r?.mac)) return `malformed machine entry: ${JSON.stringify(r?.mac)}`;
  if (typeof r.token !== "string" || typeof r.generation !== "number")
    return `machine ${r.mac} has no token or generation`;
  if (!STATES.includes(r.state as MachineRecord["state"]))
    return `machine ${r.mac} has an unknown state ${JSON.stringify(r.state)}`;
  // Absent in files written before reservations existed.
  if (r.ipv4 != null && !(Number.isInteger(r.ipv4) && r.ipv4 >= 0 && r.ipv4 <= 0xffffffff))
    return `machine ${r.mac} has an invalid ipv4 ${JSON.stringify(r.ipv4)}`;
  return null;
}

/** The first line of a format-2 snapshot; each machine follows on a line of its own. */
const HEADER = /^\{"format": 2, "journal": (\d+), "machines": \[$/;

/**
 * The snapshot; a missing file is an empty registry, anything unreadable an error. A
 * format-2 file is read a line at a time, so loading a large fleet never holds the whole
 * text and its parse at once (that peak would stay in the process's RSS).
 */
export async function readSnapshot(path: string): Promise<Snapshot> {
  try {
    return (await readLines(path)) ?? (await readWhole(path));
  } catch (e) {
    if (e instanceof StateError) throw e;
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      return { machines: [], journal: 0, bytes: 0 };
    throw new StateError(`cannot read state file ${path}: ${(e as Error).message}`);
  }
}

/** `machines.json.tmp-PID`: a snapshot being written; one left at start-up a crash left. */
export const SNAPSHOT_TEMP = /^machines\.json\.tmp-\d+$/;

/** A format-2 snapshot a line at a time; null when the first line is not its header. */
async function readLines(path: string): Promise<Snapshot | null> {
  const machines: MachineRecord[] = [];
  let journal: number | null = null;
  let bytes = 0;
  let n = 0;
  let ended = false;
  for await (const line of fileLines(path)) {
    n++;
    bytes += line.length + 1;
    if (n === 1) {
      const j = HEADER.exec(line)?.[1];
      if (j === undefined) return null;
      journal = Number(j);
      continue;
    }
    if (ended && line !== "") throw corrupt(path, `text after the end, line ${n}`);
    if (line === "]}") {
      ended = true;
      continue;
    }
    let m: unknown;
    try {
      m = JSON.parse(line.endsWith(",") ? line.slice(0, -1) : line);
    } catch (e) {
      throw corrupt(path, `line ${n}: ${(e as Error).message}`);
    }
    const why = recordProblem(m);
    if (why) throw new StateError(`state file ${path} has a ${why} (line ${n})`);
    machines.push(m as MachineRecord);
  }
  if (journal === null) return null;
  if (!ended) throw corrupt(path, "it ends before its closing ]}");
  return { machines, journal, bytes };
}

const corrupt = (path: string, why: string) =>
  new StateError(
    `state file ${path} is corrupt (${why}); ` +
      `move it aside to start with an empty registry, or restore it from a backup`,
  );

/** Any other JSON layout (format 1, or a snapshot reformatted by hand), parsed whole. */
async function readWhole(path: string): Promise<Snapshot> {
  const text = await readFile(path, "utf8");
  let parsed: { format?: unknown; journal?: unknown; machines?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (e) {
    throw corrupt(path, (e as Error).message);
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
 * leaves the old or the new file, never half of one. One machine a line, so `grep` works on
 * it and loading can go a line at a time. Returns the bytes written.
 */
export async function writeSnapshot(
  path: string,
  journal: number,
  machines: readonly MachineRecord[],
): Promise<number> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const bytes = await writeTemp(tmp, journal, machines);
    await rename(tmp, path);
    await syncDir(dirname(path));
    return bytes;
  } catch (e) {
    // A failed write (a full disk) leaves no temp file as large as the state behind.
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

async function writeTemp(
  tmp: string,
  journal: number,
  machines: readonly MachineRecord[],
): Promise<number> {
  const fh = await open(tmp, "w", 0o600);
  let bytes = 0;
  const put = async (text: string) => {
    await fh.writeFile(text); // all of it: a write() may be short
    bytes += Buffer.byteLength(text);
  };
  try {
    await put(`{"format": ${FORMAT}, "journal": ${journal}, "machines": [\n`);
    // In slices, so neither the whole text nor a long pause of the event loop happens.
    for (let i = 0; i < machines.length; i += 500) {
      const slice = machines.slice(i, i + 500).map((m) => JSON.stringify(m));
      const last = i + 500 >= machines.length;
      await put(slice.join(",\n") + (last ? "\n" : ",\n"));
    }
    await put("]}\n");
    await fh.sync();
  } finally {
    await fh.close();
  }
  return bytes;
}
