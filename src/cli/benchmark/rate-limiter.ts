/**
 * Request pacing for `--rate`: a shared schedule that hands out evenly spaced start slots. Callers
 * await `take()` before each request; with rate 0 it never waits.
 */
import { assert } from '../../base/assert.js';

/** Sleeping for less than this is skipped (timers are not that precise); slots stay on schedule. */
const SLEEP_MIN_MS = 1;

/** Largest accepted --rate (requests per second). */
export const RATE_PER_SECOND_MAX = 10_000_000;

/** Paces callers to at most `ratePerSecond` starts per second (0 = unlimited). */
export class RateLimiter {
  private nextSlotMs: number | undefined;
  private readonly intervalMs: number;

  /**
   * `nowMs` is injectable for tests (defaults to performance.now).
   * Throws AssertionError when the rate is negative, fractional-unsafe or above RATE_PER_SECOND_MAX.
   */
  constructor(readonly ratePerSecond: number, private readonly nowMs: () => number = () => performance.now()) {
    assert(Number.isFinite(ratePerSecond) && ratePerSecond >= 0, `bad rate ${ratePerSecond}`);
    assert(ratePerSecond <= RATE_PER_SECOND_MAX, `rate above ${RATE_PER_SECOND_MAX}`);
    this.intervalMs = ratePerSecond === 0 ? 0 : 1000 / ratePerSecond;
  }

  /** Reserves the next slot and returns how long the caller must wait for it (0 if none). */
  reserveDelayMs(): number {
    if (this.intervalMs === 0) return 0;
    const now = this.nowMs();
    // A slot missed by a slow caller is not banked: bursts never exceed one interval of catch-up.
    const slot = this.nextSlotMs === undefined || this.nextSlotMs < now ? now : this.nextSlotMs;
    this.nextSlotMs = slot + this.intervalMs;
    return slot - now;
  }

  /** Resolves when the caller may start its next request. Never rejects. */
  async take(): Promise<void> {
    const delayMs = this.reserveDelayMs();
    if (delayMs < SLEEP_MIN_MS) return;
    await new Promise<void>((resolve) => setTimeout(resolve, delayMs));
  }
}
