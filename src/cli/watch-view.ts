/**
 * `landscaper watch`'s model and its two renderings: a table redrawn in place (TTY) and one
 * line per change (pipe). Pure: no sockets, no terminal.
 */
import { HEADLINE, type Headline, type MachineEvent } from "../registry/machine.js";
import { pick } from "../core/pick.js";
import type { DiscoveryEvent } from "../registry/doors.js";
import { registerCommand, stepText, type WatchSource } from "../registry/views.js";

/** One row of the table: the control API's machine with its latest step as text. */
export type WatchedMachine = Pick<WatchSource, Headline | "updatedAt"> & {
  failure: string | null;
  lastStep: { at: string; text: string } | null;
};

/** What `/v1/events` carries: a machine's event, or an unregistered client seen. */
export type WatchEvent = MachineEvent | DiscoveryEvent;

export function fromApi(m: WatchSource): WatchedMachine {
  const last = m.events?.filter((e) => e.generation === m.generation).at(-1);
  return {
    ...pick(m, HEADLINE),
    failure: m.failure?.message ?? null,
    lastStep: last ? { at: last.at, text: stepText(last) } : null,
    updatedAt: m.updatedAt,
  };
}

/** Fold one event into a machine (the event carries the state; progress carries the phase). */
export function applyEvent(m: WatchedMachine, e: MachineEvent): WatchedMachine {
  const next: WatchedMachine = {
    ...m,
    state: e.state,
    generation: e.generation,
    updatedAt: e.at,
    lastStep: { at: e.at, text: stepText(e) },
  };
  if (e.type === "rearmed") {
    next.phase = null;
    next.progress = null;
    next.failure = null;
  }
  if (e.type === "progress") {
    if (typeof e.phase === "string") next.phase = e.phase;
    if (typeof e.progress === "number") next.progress = e.progress;
  }
  if (e.type === "complete") next.progress = 100;
  if (e.type === "failed" && typeof e.message === "string") next.failure = e.message;
  return next;
}

/**
 * Control characters out: a hostname, phase or installer message must not be able to move
 * the cursor or recolour the operator's terminal. One space each, so widths stay right.
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}

function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "--:--:--" : d.toISOString().slice(11, 19);
}

function bar(progress: number | null, state: string, width: number): string {
  const p = state === "installed" ? 100 : Math.max(0, Math.min(100, progress ?? 0));
  const full = Math.round((p / 100) * width);
  return "█".repeat(full) + "░".repeat(width - full) + ` ${String(Math.round(p)).padStart(3)}%`;
}

/** One line per change: time, MAC, host, state, phase, progress, what happened. */
export function changeLine(m: WatchedMachine): string {
  const parts = [
    clock(m.lastStep?.at ?? m.updatedAt),
    m.mac,
    m.hostname ?? "-",
    m.state,
    m.phase ?? "-",
    m.progress === null ? "-" : `${m.progress}%`,
  ];
  const what = m.state === "failed" && m.failure ? `failed: ${m.failure}` : m.lastStep?.text;
  return printable(parts.join(" ") + (what ? ` | ${what}` : ""));
}

const COLOR: Record<string, string> = {
  registered: "\x1b[37m",
  booting: "\x1b[33m",
  installing: "\x1b[34m",
  installed: "\x1b[32m",
  failed: "\x1b[31m",
};
const RESET = "\x1b[0m";

function cell(s: string, width: number): string {
  if (width <= 0) return "";
  const chars = [...printable(s)];
  return chars.length > width
    ? chars.slice(0, width - 1).join("") + "…"
    : s + " ".repeat(width - chars.length);
}

/**
 * The whole table for a terminal `columns` wide; the caller homes the cursor and clears.
 * Lines never exceed the width (a wrapped line would break the in-place redraw); narrow
 * terminals get a percentage instead of a bar.
 */
export function table(
  machines: readonly WatchedMachine[],
  columns: number,
  status: string,
): string {
  const wide = columns >= 110;
  const w = { host: wide ? 14 : 12, phase: wide ? 14 : 12, progress: wide ? 26 : 4 };
  const lines: string[] = [];
  const counts = new Map<string, number>();
  for (const m of machines) counts.set(m.state, (counts.get(m.state) ?? 0) + 1);
  lines.push(
    cell(
      `Landscaper: ${machines.length} machine(s)` +
        [...counts].map(([s, n]) => `, ${n} ${s}`).join("") +
        `  [${status}]`,
      columns,
    ).trimEnd(),
  );
  const fixed = `${cell("MAC", 17)} ${cell("HOST", w.host)} ${cell("STATE", 10)} ${cell("PHASE", w.phase)} ${cell(wide ? "PROGRESS" : "%", w.progress)} `;
  const rest = Math.max(0, columns - fixed.length);
  lines.push((fixed + cell("LAST STEP", rest)).trimEnd());
  for (const m of machines) {
    const what =
      m.state === "failed" && m.failure ? `failed: ${m.failure}` : (m.lastStep?.text ?? "");
    const progress = wide
      ? bar(m.progress, m.state, 20)
      : `${String(m.state === "installed" ? 100 : Math.round(m.progress ?? 0)).padStart(3)}%`;
    const last = `${m.lastStep ? clock(m.lastStep.at) + " " : ""}${what}`;
    lines.push(
      `${m.mac} ${cell(m.hostname ?? "-", w.host)} ${COLOR[m.state] ?? ""}${cell(m.state, 10)}${RESET} ` +
        `${cell(m.phase ?? "-", w.phase)} ${cell(progress, w.progress)} ` +
        (rest > 0 ? cell(last, rest).trimEnd() : ""),
    );
  }
  if (machines.length === 0) lines.push("(no machines registered)");
  return lines.map((l) => l + "\x1b[K").join("\n") + "\n";
}

/** Same order as the status page: trouble first, finished last. */
export function sortMachines(ms: Iterable<WatchedMachine>): WatchedMachine[] {
  const order = ["failed", "installing", "booting", "registered", "installed"];
  return [...ms].sort(
    (a, b) =>
      order.indexOf(a.state) - order.indexOf(b.state) ||
      (a.hostname ?? a.mac).localeCompare(b.hostname ?? b.mac),
  );
}

/** An unregistered client seen: time, MAC, what it is, and the command that registers it. */
export function discoveredLine(e: DiscoveryEvent): string {
  const what = [e.kind, e.arch === null ? null : `arch ${e.arch}`, e.vendorClass]
    .filter((x) => x !== null)
    .join(" ");
  return printable(
    `${clock(e.at)} ${e.mac} seen, not registered: ${what} | ${registerCommand(e.mac)}`,
  );
}

/** Under the table: the last few clients seen but not registered, one line each. */
export function seenFooter(lines: readonly string[], columns: number): string {
  if (lines.length === 0) return "";
  const all = ["", "Seen, not registered (all: landscaper machines discovered):", ...lines];
  return all.map((l) => cell(l, columns).trimEnd() + "\x1b[K").join("\n") + "\n";
}
