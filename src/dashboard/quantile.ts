/**
 * Prometheus's `histogram_quantile` over one cumulative histogram: find the bucket holding the rank
 * q·count and interpolate linearly inside it (the lowest bucket starts at 0). A rank that lands in the
 * +Inf bucket answers the highest finite upper bound, as Prometheus does.
 */
import { assert } from '../base/assert.js';

/** One cumulative bucket: observations <= `le` (the last bucket is `le: Infinity`). */
export interface HistogramBucket {
  le: number;
  count: number;
}

/**
 * The q-quantile (0 <= q <= 1) of a cumulative histogram, or undefined when it holds no observation.
 * Buckets may come in any order; a missing +Inf bucket is treated as equal to the highest bucket.
 * @throws AssertionError if q is outside [0, 1] or a count is negative or not cumulative.
 */
export function histogramQuantile(q: number, buckets: readonly HistogramBucket[]): number | undefined {
  assert(q >= 0 && q <= 1, `quantile ${q} outside [0, 1]`);
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length === 0) return undefined;
  for (let i = 0; i < sorted.length; i++) {
    const bucket = sorted[i]!;
    assert(bucket.count >= 0, `negative bucket count ${bucket.count}`);
    assert(i === 0 || bucket.count >= sorted[i - 1]!.count, `bucket le=${bucket.le} is not cumulative`);
  }
  const total = sorted[sorted.length - 1]!.count;
  if (total === 0) return undefined;
  const rank = q * total;
  const index = sorted.findIndex((b) => b.count >= rank);
  assert(index >= 0, 'rank beyond the last bucket');
  const bucket = sorted[index]!;
  if (bucket.le === Infinity) return sorted.length >= 2 ? sorted[sorted.length - 2]!.le : undefined;
  if (index === 0 && bucket.le <= 0) return bucket.le;
  const lower = index === 0 ? 0 : sorted[index - 1]!.le;
  const below = index === 0 ? 0 : sorted[index - 1]!.count;
  const inBucket = bucket.count - below;
  if (inBucket === 0) return lower;
  return lower + (bucket.le - lower) * ((rank - below) / inBucket);
}
