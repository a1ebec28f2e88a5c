import type { EventType, MachineEvent } from "./machine.js";

/**
 * A machine's history as kept (in memory, in the snapshot, in the control API's `events`):
 * pure functions over the event list, run both live and when the journal is replayed, so
 * both arrive at the same list.
 *
 * Fields added to a kept event (all optional, absent on a single occurrence):
 * - `count`: how many identical events this entry stands for (`dhcp` x37);
 * - `firstAt`: when the first of them happened (`at` is the last);
 * - `omitted`: on the last kept entry of an older generation, how many events of each
 *   type were dropped when that generation was summarised, e.g. `{"dhcp": 40, "job": 1}`.
 */

/** Per machine, at most this many entries; boot steps and older generations go first. */
export const EVENTS_KEPT = 200;

/** How far back (in entries, never past a milestone) a repeat is looked for. */
const COALESCE_WINDOW = 8;

/** Boot steps: what firmware retries, script reloads and lease renewals repeat without end. */
const STEPS: ReadonlySet<EventType> = new Set([
  "dhcp",
  "dhcp-lease",
  "tftp",
  "script",
  "kernel",
  "initrd",
]);

/** What an older generation keeps of itself once a newer one starts. */
const OUTCOMES: ReadonlySet<EventType> = new Set([
  "registered",
  "rearmed",
  "state",
  "complete",
  "failed",
  "hook",
]);

/**
 * Not counted when deciding whether two events are the same. Of these, `at` and `until`
 * (a DHCP lease's end, moved by every renewal) take the repeat's value.
 */
const BOOKKEEPING = new Set(["at", "count", "firstAt", "omitted", "until"]);

/**
 * A milestone is never pushed out by repetition within its generation: every type that is
 * not a boot step, and a boot step that went wrong (a TFTP transfer that did not complete),
 * which is the warning an operator looks for.
 */
export function isMilestone(e: MachineEvent): boolean {
  if (!STEPS.has(e.type)) return true;
  return e.type === "tftp" && e.outcome !== "complete";
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Same type, generation, state and details; `at` and the bookkeeping fields aside. */
function identical(kept: MachineEvent, e: MachineEvent): boolean {
  if (kept.type !== e.type || kept.generation !== e.generation || kept.state !== e.state)
    return false;
  let keys = 0;
  for (const k in e) {
    if (BOOKKEEPING.has(k)) continue;
    if (!same(kept[k], e[k])) return false;
    keys++;
  }
  for (const k in kept) if (!BOOKKEEPING.has(k)) keys--;
  return keys === 0;
}

/**
 * Adds `e` to `events` (in place; runs for every boot step, so it is kept cheap). A repeat
 * of a recent identical event becomes that entry's `count`, moved to the end; the first
 * event of a new generation summarises the older ones; the list is then trimmed to
 * EVENTS_KEPT, dropping what matters least first.
 */
export function appendHistory(events: MachineEvent[], e: MachineEvent): void {
  const last = events.at(-1);
  if (last && e.generation > last.generation) summariseOlder(events, e.generation);
  const i = findRepeat(events, e);
  if (i >= 0) {
    const kept = events[i] as MachineEvent;
    // A new object rather than a change to the old one: views and streams may hold it.
    const merged: MachineEvent = {
      ...kept,
      at: e.at,
      count: ((kept.count as number | undefined) ?? 1) + 1,
      firstAt: kept.firstAt ?? kept.at,
      ...(e.until === undefined ? {} : { until: e.until }),
    };
    events.splice(i, 1);
    events.push(merged);
    return;
  }
  events.push(e);
  if (events.length > EVENTS_KEPT) events.splice(dropIndex(events, e.generation), 1);
}

function findRepeat(events: readonly MachineEvent[], e: MachineEvent): number {
  const stop = Math.max(0, events.length - COALESCE_WINDOW);
  for (let i = events.length - 1; i >= stop; i--) {
    const kept = events[i] as MachineEvent;
    if (identical(kept, e)) return i;
    // A repeat on the far side of a milestone is a new episode; merging would reorder them.
    if (isMilestone(kept)) return -1;
  }
  return -1;
}

/**
 * The entry to drop when the list is full: an older generation's (its standing lease
 * last), else the oldest step.
 */
function dropIndex(events: readonly MachineEvent[], current: number): number {
  let firstProgress = -1;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as MachineEvent;
    // An older generation keeps only its outcomes and the lease that still stands
    // (summariseOlder): the lease goes last, with this generation's milestones.
    if (e.generation < current && e.type === "dhcp-lease") continue;
    if (e.generation < current || !isMilestone(e)) return i;
    if (firstProgress < 0 && e.type === "progress") firstProgress = i;
  }
  // Only this generation's milestones left (an installer reporting hundreds of phases):
  // its oldest progress report goes, then whatever follows the first entry.
  return firstProgress >= 0 ? firstProgress : 1;
}

/**
 * The older generations' `dhcp-lease` ack that still stands: the last one, unless a
 * release or decline of its address follows. A lease outlives a rearm (the machine keeps
 * its address while it reinstalls), and the view's `leasedIpv4` is read from this list.
 */
function standingLease(events: readonly MachineEvent[], current: number): MachineEvent | null {
  let ack: MachineEvent | null = null;
  for (const e of events) {
    if (e.generation >= current || e.type !== "dhcp-lease") continue;
    if (e.lease === "ack") ack = e;
    else if ((e.lease === "released" || e.lease === "declined") && e.ip === ack?.ip) ack = null;
  }
  return ack;
}

/**
 * Generations before `current` keep their outcomes (registered or rearmed, state changes,
 * complete, failed, hook) and the lease that still stands; the rest is counted in
 * `omitted` on the generation's last entry.
 */
export function summariseOlder(events: MachineEvent[], current: number): void {
  const lease = standingLease(events, current);
  const out: MachineEvent[] = [];
  let omitted: Record<string, number> = {};
  let gen: number | null = null;
  const close = () => {
    const tail = out.at(-1);
    if (tail && tail.generation === gen && Object.keys(omitted).length > 0) {
      const before = (tail.omitted as Record<string, number> | undefined) ?? {};
      for (const [k, n] of Object.entries(before)) omitted[k] = (omitted[k] ?? 0) + n;
      out[out.length - 1] = { ...tail, omitted };
    }
    omitted = {};
  };
  for (const e of events) {
    if (e.generation !== gen) {
      close();
      gen = e.generation;
    }
    if (e.generation >= current || OUTCOMES.has(e.type) || e === lease) out.push(e);
    else omitted[e.type] = (omitted[e.type] ?? 0) + ((e.count as number | undefined) ?? 1);
  }
  close();
  events.splice(0, events.length, ...out);
}
