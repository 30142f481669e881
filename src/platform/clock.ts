/** The real clock: monotonic time from performance.now(), wall time from Date. */
import type { Clock } from '../base/clock.js';

export const systemClock: Clock = {
  nowMs: () => performance.now(),
  wallMs: () => Date.now(),
};
