/**
 * Refused install tokens, per source address: a leaky bucket that lets a few mistakes
 * through (an agent retrying after a rearm) and then only one try per `perSecondMs`, so
 * guessing a 192-bit token, or probing which MACs are registered, gets nowhere.
 * Memory is bounded: past `maxSources` addresses the longest-quiet one is forgotten.
 */
export class TokenLimiter {
  /** Per address: the bucket's level at `at` (ms). Map order is least recently refused first. */
  private readonly sources = new Map<string, { level: number; at: number }>();

  constructor(
    readonly burst = 10,
    readonly perSecond = 1,
    readonly maxSources = 4096,
    private readonly clock: () => number = Date.now,
  ) {}

  get size(): number {
    return this.sources.size;
  }

  private level(address: string, now: number): number {
    const s = this.sources.get(address);
    if (!s) return 0;
    return Math.max(0, s.level - ((now - s.at) / 1000) * this.perSecond);
  }

  /** Seconds until `address` may try again; 0 when it may now. */
  retryAfter(address: string): number {
    const over = this.level(address, this.clock()) - (this.burst - 1);
    return over > 0 ? Math.ceil(over / this.perSecond) : 0;
  }

  /** Counts a refused token from `address`. */
  refused(address: string): void {
    const now = this.clock();
    const level = this.level(address, now) + 1;
    this.sources.delete(address);
    this.sources.set(address, { level, at: now });
    while (this.sources.size > this.maxSources) {
      const oldest = this.sources.keys().next().value;
      if (oldest === undefined) break;
      this.sources.delete(oldest);
    }
  }
}
