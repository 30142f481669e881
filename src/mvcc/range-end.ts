import { bytesToBinaryString } from '../backend/bytes.js';
import type { KeyInterval } from './key-index.js';

/**
 * Converts etcd's (key, range_end) to an index interval: empty range_end = exactly `key`; range_end
 * [0x00] = every key >= `key` (so key [0x00] with range_end [0x00] is the whole keyspace); otherwise
 * the half-open interval [key, range_end) (empty when range_end <= key). Never throws.
 */
export function keyInterval(key: Uint8Array, rangeEnd: Uint8Array): KeyInterval {
  const start = bytesToBinaryString(key);
  if (rangeEnd.length === 0) return { start, end: undefined, single: true };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: undefined, single: false };
  return { start, end: bytesToBinaryString(rangeEnd), single: false };
}
