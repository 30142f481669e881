import { assert } from '../base/assert.js';
import { binaryStringToBytes, compareBytes } from './bytes.js';
import { DELETED, type PendingBatch, type PendingValue } from './pending-batch.js';
import type { BucketName } from './buckets.js';

/** A committed-data cursor: ordered [key, value] pairs in [start, end). */
export type CommittedRange = Iterable<[Uint8Array, Uint8Array]>;

interface OverlayEntry {
  keyBytes: Uint8Array;
  value: PendingValue;
}

/**
 * Pending writes in [start, end) over all overlays (newest first: a newer batch's write hides an
 * older one), as one sorted list.
 */
export function collectOverlay(
  overlays: readonly PendingBatch[], bucket: BucketName, start: string, end: string | undefined,
): OverlayEntry[] {
  const merged = new Map<string, PendingValue>();
  for (const batch of overlays) {
    for (const key of batch.keysInRange(bucket, start, end)) {
      if (!merged.has(key)) merged.set(key, batch.get(bucket, key)!);
    }
  }
  const keys = [...merged.keys()];
  if (overlays.length > 1) keys.sort(); // code-unit order = byte order for binary strings
  return keys.map((key) => ({ keyBytes: binaryStringToBytes(key), value: merged.get(key)! }));
}

/**
 * Merges committed pairs with overlay entries (both sorted): overlay values replace committed ones,
 * DELETED overlay entries hide them. Yields at most `limit` pairs (0 or undefined = no limit).
 */
export function* mergeRange(
  committed: CommittedRange, overlay: readonly OverlayEntry[], limit: number | undefined,
): Generator<[Uint8Array, Uint8Array]> {
  const max = limit === undefined || limit <= 0 ? Infinity : limit;
  let emitted = 0;
  let next = 0;
  for (const [key, value] of committed) {
    while (next < overlay.length && compareBytes(overlay[next]!.keyBytes, key) < 0) {
      const entry = overlay[next++]!;
      if (entry.value !== DELETED) {
        yield [entry.keyBytes, entry.value];
        if (++emitted >= max) return;
      }
    }
    const entry = overlay[next];
    if (entry !== undefined && compareBytes(entry.keyBytes, key) === 0) {
      next++;
      if (entry.value === DELETED) continue;
      yield [entry.keyBytes, entry.value];
    } else {
      yield [key, value];
    }
    if (++emitted >= max) return;
  }
  for (; next < overlay.length; next++) {
    const entry = overlay[next]!;
    if (entry.value === DELETED) continue;
    yield [entry.keyBytes, entry.value];
    if (++emitted >= max) return;
  }
  assert(emitted <= max, 'range emitted past its limit');
}
