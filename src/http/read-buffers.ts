/**
 * Read buffers for file responses, lent out and taken back.
 *
 * Node has no sendfile: every byte of a kernel or initrd is read into a buffer and written
 * to the socket. Big buffers cost less CPU per byte (fewer reads, writes and thread-pool
 * hops), but a fresh buffer per chunk, or per download, leaves garbage that the collector
 * frees late: the peak RSS grew by tens of MiB per round of 20 downloads. So buffers are
 * reused, and held to two limits: a download gets the biggest chunk size that keeps the
 * bytes lent out within `budget`, down to a floor every download gets even when the budget
 * is spent (nobody waits for memory); released buffers are kept for reuse while lent plus
 * kept bytes stay within `keep`.
 */
export class ReadBuffers {
  private leased = 0;
  private pooled = 0;
  private readonly free = new Map<number, Buffer[]>();

  constructor(
    /** Bytes lent out beyond which a new download gets only the floor chunk size. */
    readonly budget: number,
    /** Bytes lent out plus kept for reuse beyond which released buffers are dropped. */
    readonly keep: number,
    readonly maxChunk: number,
    readonly minChunk: number,
  ) {
    if (!isPowerOfTwo(maxChunk) || !isPowerOfTwo(minChunk) || minChunk > maxChunk)
      throw new RangeError(`chunk sizes must be powers of two, min <= max`);
  }

  /** Bytes lent out now. */
  get lent(): number {
    return this.leased;
  }

  /** Bytes kept for reuse now. */
  get kept(): number {
    return this.pooled;
  }

  /**
   * `count` buffers of one size for a body of `length` bytes. A body smaller than the floor
   * gets buffers of its own size (not pooled). Call `release` once every write using them
   * has completed, with `reuse` false when a write may still hold one (a destroyed socket).
   */
  lease(length: number, count: number): { buffers: Buffer[]; release: (reuse: boolean) => void } {
    if (length < this.minChunk) {
      const buffers = Array.from({ length: count }, () => Buffer.allocUnsafeSlow(length));
      return { buffers, release: () => undefined };
    }
    let size = this.maxChunk;
    while (size > this.minChunk && (size / 2 >= length || this.leased + count * size > this.budget))
      size /= 2;
    const list = this.free.get(size) ?? [];
    const buffers: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      let b = list.pop();
      if (b) this.pooled -= size;
      else {
        this.evict(size);
        b = Buffer.allocUnsafeSlow(size);
      }
      buffers.push(b);
      this.leased += size;
    }
    let released = false;
    const release = (reuse: boolean) => {
      if (released) return;
      released = true;
      this.leased -= count * size;
      if (!reuse) return;
      for (const b of buffers) {
        if (this.leased + this.pooled + size > this.keep) break;
        const l = this.free.get(size) ?? [];
        l.push(b);
        this.free.set(size, l);
        this.pooled += size;
      }
    };
    return { buffers, release };
  }

  /** Drops kept buffers (of other sizes) until a new one of `size` fits within `keep`. */
  private evict(size: number): void {
    for (const [s, l] of this.free) {
      while (l.length > 0 && this.leased + this.pooled + size > this.keep) {
        l.pop();
        this.pooled -= s;
      }
    }
  }
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
