/** TTL arithmetic shared by the server and the lease services. */
import { assert } from '../base/assert.js';

/**
 * etcd's minimum lease TTL: ceil(1.5 x election timeout) in seconds (2 s with the 1000 ms default).
 * Throws AssertionError unless electionTimeoutMs is positive.
 */
export function minLeaseTtlSeconds(electionTimeoutMs: number): number {
  assert(electionTimeoutMs > 0, `bad election timeout ${electionTimeoutMs}`);
  return Math.ceil((1.5 * electionTimeoutMs) / 1000);
}

/**
 * Remaining TTL in whole seconds as etcd reports it (the duration truncated toward zero, never
 * negative: a lease past its deadline but not yet revoked reports 0).
 */
export function remainingTtlSeconds(remainingMs: number): number {
  return Math.max(0, Math.trunc(remainingMs / 1000));
}
