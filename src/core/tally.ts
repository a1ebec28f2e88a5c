/**
 * Logging what the LAN throws at the servers without letting it write the log: events that
 * a flood repeats (malformed datagrams, refusals) are counted and told in one line per kind
 * per interval; an exception at a datagram or transfer boundary is logged with its stack
 * the first time it is seen, then only counted. (Each refusal logged at info once wrote
 * 105 MB in 30 s of flood.)
 */
import type { Logger } from "./log.js";

/** How often a kind that keeps happening is told. */
export const TALLY_INTERVAL_MS = 10_000;
/** Distinct exception stacks remembered; past that, a new one is logged without being kept. */
const STACKS_KEPT = 64;

interface Kind {
  count: number;
  /** The first occurrence of the interval, as an example. */
  sample: Record<string, unknown>;
}

export class Tally {
  private kinds = new Map<string, Kind>();
  private timer: NodeJS.Timeout | null = null;
  private readonly stacks = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = TALLY_INTERVAL_MS,
  ) {}

  /** Counts one event of `kind`; `sample` is built only for the first of an interval. */
  note(kind: string, sample: () => Record<string, unknown>): void {
    const k = this.kinds.get(kind);
    if (k) {
      k.count++;
      return;
    }
    this.kinds.set(kind, { count: 1, sample: sample() });
    // One timer while anything is counted; none on a quiet LAN. Never keeps the process up.
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
  }

  /**
   * An exception escaped the handling of one datagram, request or transfer. Logged at error
   * with its stack the first time this stack is seen; counted by the caller's metric.
   */
  caught(what: string, err: unknown, context: Record<string, unknown> = {}): void {
    const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
    if (this.stacks.has(stack)) {
      this.note(`${what} failed (seen before)`, () => ({ ...context, err: firstLine(stack) }));
      return;
    }
    if (this.stacks.size < STACKS_KEPT) this.stacks.add(stack);
    this.log.error({ ...context, stack }, `${what} failed; the rest keeps serving`);
  }

  /** Tells every counted kind now (one line each) and starts a new interval. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const kinds = this.kinds;
    this.kinds = new Map();
    for (const [kind, k] of kinds)
      this.log.warn({ count: k.count, seconds: this.intervalMs / 1000, example: k.sample }, kind);
  }

  /** On shutdown: tells what is pending, leaves no timer. */
  close(): void {
    this.flush();
  }
}

function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return i < 0 ? s : s.slice(0, i);
}
