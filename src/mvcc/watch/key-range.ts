import { bytesToBinaryString } from '../../backend/bytes.js';
import { keyInterval } from '../range-end.js';

/**
 * The keys one watcher observes, as binary strings (one char per byte, so string order is byte
 * order): exactly `start` when `end` is undefined and `single` is set; every key >= `start` when
 * `end` is undefined otherwise; the half-open interval [start, end) when `end` is set.
 */
export interface WatchKeyRange {
  readonly start: string;
  readonly end: string | undefined;
  readonly single: boolean;
}

/**
 * Converts a WatchCreateRequest's (key, range_end) with etcd's conventions: an empty key means
 * "\0" (the smallest key), an empty range_end one key, range_end "\0" every key >= key. Returns
 * undefined for an empty interval (range_end <= key), which etcd refuses. Never throws.
 */
export function watchKeyRange(key: Uint8Array, rangeEnd: Uint8Array): WatchKeyRange | undefined {
  const effectiveKey = key.length === 0 ? new Uint8Array([0]) : key;
  const interval = keyInterval(effectiveKey, rangeEnd);
  if (interval.end !== undefined && interval.end <= interval.start) return undefined;
  return { start: interval.start, end: interval.end, single: interval.single };
}

/** True when `key` (a binary string) lies in `range`. Never throws. */
export function rangeContains(range: WatchKeyRange, key: string): boolean {
  if (range.single) return key === range.start;
  return key >= range.start && (range.end === undefined || key < range.end);
}

/** Binary-string form of an event key (exported so callers convert once per event). */
export function keyString(key: Uint8Array): string {
  return bytesToBinaryString(key);
}
