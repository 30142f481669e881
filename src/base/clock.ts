/**
 * Injected time. Production code gets a real clock from src/platform; the simulator and unit tests
 * pass a fake one, so no test sleeps on wall time.
 */
export interface Clock {
  /** Monotonic milliseconds (arbitrary origin). */
  nowMs(): number;
  /** Wall-clock milliseconds since the Unix epoch (only for display, never for ordering). */
  wallMs(): number;
}
