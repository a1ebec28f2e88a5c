import type { Mac } from "../core/mac.js";
import { fileLines } from "./lines.js";
import { appendHistory } from "./history.js";
import { STATES, type MachineEvent, type MachineRecord } from "./machine.js";
import { isCanonicalMac, recordProblem, StateError } from "./snapshot.js";

/** What a boot step may change in a record: its state (to booting) and install clock. */
export type MachinePatch = Pick<MachineRecord, "mac" | "state" | "bootStartedAt">;

/**
 * One journal line. `put` is a whole machine record without its history (written on
 * registration, change, rearm and the installer's transitions); `set` the few fields a
 * boot step changes, so that a first boot step costs a short line, not a record with its
 * keys; `del` a removal; `ev` one event as it happened (coalescing happens again on
 * replay, exactly as it did live).
 */
export type JournalEntry =
  | { put: Omit<MachineRecord, "events"> }
  | { set: MachinePatch }
  | { del: Mac }
  | { ev: MachineEvent };

export const putLine = (m: MachineRecord): string =>
  JSON.stringify({ put: { ...m, events: undefined } }) + "\n";
export const setLine = (p: MachinePatch): string => JSON.stringify({ set: p }) + "\n";
export const delLine = (mac: Mac): string => JSON.stringify({ del: mac }) + "\n";
export const eventLine = (e: MachineEvent): string => JSON.stringify({ ev: e }) + "\n";

function eventProblem(e: unknown): string | null {
  const v = e as Partial<MachineEvent> | null;
  if (!isCanonicalMac(v?.mac)) return "event without a valid mac";
  if (typeof v.at !== "string" || typeof v.type !== "string" || typeof v.generation !== "number")
    return "event without at, type or generation";
  return null;
}

function patchProblem(p: unknown): string | null {
  const v = p as Partial<MachinePatch> | null;
  if (!isCanonicalMac(v?.mac)) return "set without a valid mac";
  if (!STATES.includes(v.state as MachinePatch["state"])) return "set with an unknown state";
  if (v.bootStartedAt !== null && typeof v.bootStartedAt !== "string")
    return "set without bootStartedAt";
  return null;
}

/** The entry on a line, or why there is none. */
export function parseEntry(line: string): JournalEntry | string {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line) as Record<string, unknown>;
  } catch (e) {
    return (e as Error).message;
  }
  if (typeof v !== "object" || v === null) return "not a JSON object";
  if ("ev" in v) return eventProblem(v.ev) ?? (v as JournalEntry);
  if ("put" in v) return recordProblem(v.put) ?? (v as JournalEntry);
  if ("set" in v) return patchProblem(v.set) ?? (v as JournalEntry);
  if ("del" in v) return isCanonicalMac(v.del) ? (v as JournalEntry) : "del without a valid mac";
  return "neither put, set, del nor ev";
}

export function applyEntry(machines: Map<Mac, MachineRecord>, entry: JournalEntry): void {
  if ("put" in entry) {
    const before = machines.get(entry.put.mac);
    machines.set(entry.put.mac, { ...entry.put, events: before?.events ?? [] });
  } else if ("set" in entry) {
    const m = machines.get(entry.set.mac);
    if (m) Object.assign(m, { state: entry.set.state, bootStartedAt: entry.set.bootStartedAt });
  } else if ("del" in entry) {
    machines.delete(entry.del);
  } else {
    const m = machines.get(entry.ev.mac);
    if (!m) return; // its machine was removed, or its registration was never acknowledged
    appendHistory(m.events, entry.ev);
    if (entry.ev.at > m.updatedAt) m.updatedAt = entry.ev.at;
  }
}

/**
 * Replays one journal file onto `machines`, a line at a time; `torn` is 1 when its last
 * line is torn (a crash mid-append: ignored), else 0. A bad line anywhere else is
 * corruption that no crash produces, so the start is refused with the file and line named.
 */
export async function replayJournal(
  machines: Map<Mac, MachineRecord>,
  file: string,
): Promise<{ torn: number; bytes: number }> {
  let bytes = 0;
  let n = 0;
  // Each line is judged once the next is known: only the very last may be torn.
  let held: { line: string; n: number } | null = null;
  const judge = (h: { line: string; n: number }, last: boolean): number => {
    const entry = parseEntry(h.line);
    if (typeof entry !== "string") {
      applyEntry(machines, entry);
      return 0;
    }
    if (last) return 1;
    throw new StateError(
      `journal ${file} line ${h.n} is corrupt (${entry}); the lines after it cannot be ` +
        `trusted: restore the state directory from a backup, or remove that line knowing ` +
        `the change it held is lost`,
    );
  };
  for await (const line of fileLines(file)) {
    n++;
    bytes += line.length + 1;
    if (line === "") continue;
    if (held) judge(held, false);
    held = { line, n };
  }
  return { torn: held ? judge(held, true) : 0, bytes };
}
