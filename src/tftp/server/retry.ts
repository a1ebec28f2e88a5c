/**
 * How long a TFTP transfer waits for an ACK before it resends: the policy (limits, the
 * first-ACK budget) and the per-transfer estimate learnt from the client's round trips.
 */

export interface RetryPolicy {
  /** Retransmissions of one window before the client is declared gone. */
  readonly maxRetries: number;
  /** First timeout before any round trip was measured (and the cap when none negotiated). */
  readonly initialRtoMs: number;
  readonly minRtoMs: number;
  readonly maxRtoMs: number;
  /**
   * How long a transfer waits for the client's first ACK (of block 1 or of the OACK) before
   * it gives up its slot. A real client answers within milliseconds, and asks again if both
   * our copies are lost; an RRQ from a spoofed or silent address must not hold a slot for
   * the full retry budget (27 s), or 37 RRQs a second keep a 1,000-slot table full.
   */
  readonly firstAckMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 6,
  initialRtoMs: 1000,
  minRtoMs: 100,
  maxRtoMs: 5000,
  firstAckMs: 2000,
};

/**
 * The retransmission timeout of one transfer: smoothed round trip (RFC 6298's 1/8 gain)
 * times 4, within [minRtoMs, cap], doubled per retry up to maxRtoMs. The cap is the
 * client's negotiated `timeout` option, else the policy's initial value, so a transfer
 * never waits longer than the client asked for.
 */
export class RetransmitTimeout {
  private srtt = -1;
  /** The current timeout before any backoff, ms. */
  ms: number;

  constructor(
    private readonly cap: number,
    private readonly policy: RetryPolicy,
  ) {
    this.ms = cap;
  }

  /** A round trip measured on a block that was not resent (Karn's rule is the caller's). */
  measured(sample: number): void {
    this.srtt = this.srtt < 0 ? sample : this.srtt * 0.875 + sample * 0.125;
    this.ms = Math.min(this.cap, Math.max(this.policy.minRtoMs, 4 * this.srtt));
  }

  /** The wait after `retries` resends of one window. */
  after(retries: number): number {
    return Math.min(this.ms * 2 ** retries, this.policy.maxRtoMs);
  }
}
