/**
 * Latency bookkeeping for `tetcd benchmark`: a fixed-capacity recorder and the summary math
 * (average, population standard deviation, nearest-rank percentiles, an equal-width histogram).
 * Pure: no I/O, no clock. All latencies are in milliseconds.
 */
import { assert } from '../../base/assert.js';

/** Percentiles printed in "Latency distribution", as etcd's benchmark prints them. */
export const REPORT_PERCENTILES = [10, 25, 50, 75, 90, 95, 99, 99.9] as const;

const RANK_EPSILON = 1e-9;

/** Number of equal-width buckets in the response-time histogram. */
export const HISTOGRAM_BUCKET_COUNT = 10;

/** Largest number of samples one recorder holds (bounds memory: 8 bytes per sample). */
export const LATENCY_SAMPLES_MAX = 50_000_000;

/** Appends latencies into a preallocated Float64Array (grows by doubling up to LATENCY_SAMPLES_MAX). */
export class LatencyRecorder {
  private samplesMs: Float64Array;
  private count = 0;

  /** Throws AssertionError when `expectedCount` is not a non-negative safe integer. */
  constructor(expectedCount: number) {
    assert(Number.isSafeInteger(expectedCount) && expectedCount >= 0, `bad expectedCount ${expectedCount}`);
    this.samplesMs = new Float64Array(Math.min(Math.max(expectedCount, 16), LATENCY_SAMPLES_MAX));
  }

  /** Records one latency; throws AssertionError on a negative/non-finite value or a full recorder. */
  record(latencyMs: number): void {
    assert(Number.isFinite(latencyMs) && latencyMs >= 0, `bad latency ${latencyMs}`);
    if (this.count === this.samplesMs.length) {
      assert(this.count < LATENCY_SAMPLES_MAX, 'latency recorder is full');
      const grown = new Float64Array(Math.min(this.count * 2, LATENCY_SAMPLES_MAX));
      grown.set(this.samplesMs);
      this.samplesMs = grown;
    }
    this.samplesMs[this.count++] = latencyMs;
  }

  /** Number of recorded samples. */
  get size(): number {
    return this.count;
  }

  /** A sorted copy of the samples (ascending). The recorder stays usable. */
  sorted(): Float64Array {
    return this.samplesMs.slice(0, this.count).sort();
  }
}

/** One histogram row: samples in (previous upperMs, upperMs]; the first row holds samples == fastest. */
export interface HistogramBucket {
  upperMs: number;
  count: number;
}

/** Summary of a sorted sample set. Every latency field is undefined-free: empty sets give zeros. */
export interface LatencySummary {
  count: number;
  fastestMs: number;
  slowestMs: number;
  averageMs: number;
  stddevMs: number;
  /** Pairs of [percentile, latencyMs] for REPORT_PERCENTILES. */
  percentilesMs: Array<[number, number]>;
  histogram: HistogramBucket[];
}

/**
 * Nearest-rank percentile of ascending `sortedMs` (p in (0, 100]). Returns 0 for an empty set.
 * Throws AssertionError when p is out of range.
 */
export function percentileMs(sortedMs: Float64Array, p: number): number {
  assert(p > 0 && p <= 100, `percentile out of range: ${p}`);
  if (sortedMs.length === 0) return 0;
  // The epsilon keeps float noise (99.9 / 100 * 1000 = 999.0000000000001) from skipping a rank.
  const rank = Math.ceil((p * sortedMs.length) / 100 - RANK_EPSILON);
  const index = Math.min(Math.max(rank - 1, 0), sortedMs.length - 1);
  return sortedMs[index]!;
}

/** Mean and population standard deviation; zeros for an empty set. */
export function meanAndStddevMs(samplesMs: Float64Array): { averageMs: number; stddevMs: number } {
  if (samplesMs.length === 0) return { averageMs: 0, stddevMs: 0 };
  let sum = 0;
  for (const v of samplesMs) sum += v;
  const averageMs = sum / samplesMs.length;
  let squares = 0;
  for (const v of samplesMs) squares += (v - averageMs) * (v - averageMs);
  return { averageMs, stddevMs: Math.sqrt(squares / samplesMs.length) };
}

/**
 * Equal-width histogram between fastest and slowest of ascending `sortedMs`: a first row for the
 * fastest value, then `bucketCount` rows whose bounds split (fastest, slowest] evenly. Counts sum to
 * the sample count. Empty input gives no rows. Throws AssertionError on an unsorted input.
 */
export function histogramOf(sortedMs: Float64Array, bucketCount = HISTOGRAM_BUCKET_COUNT): HistogramBucket[] {
  if (sortedMs.length === 0) return [];
  const fastestMs = sortedMs[0]!;
  const slowestMs = sortedMs[sortedMs.length - 1]!;
  assert(fastestMs <= slowestMs, 'histogram input must be sorted ascending');
  const widthMs = (slowestMs - fastestMs) / bucketCount;
  const rows: HistogramBucket[] = [{ upperMs: fastestMs, count: 0 }];
  for (let i = 1; i <= bucketCount; i++) {
    rows.push({ upperMs: i === bucketCount ? slowestMs : fastestMs + widthMs * i, count: 0 });
  }
  let row = 0;
  for (const v of sortedMs) {
    while (v > rows[row]!.upperMs) row++;
    rows[row]!.count++;
  }
  return rows;
}

/** Full summary of the samples in `recorder`. */
export function summarize(recorder: LatencyRecorder): LatencySummary {
  const sortedMs = recorder.sorted();
  const { averageMs, stddevMs } = meanAndStddevMs(sortedMs);
  return {
    count: sortedMs.length,
    fastestMs: sortedMs.length === 0 ? 0 : sortedMs[0]!,
    slowestMs: sortedMs.length === 0 ? 0 : sortedMs[sortedMs.length - 1]!,
    averageMs,
    stddevMs,
    percentilesMs: REPORT_PERCENTILES.map((p) => [p, percentileMs(sortedMs, p)]),
    histogram: histogramOf(sortedMs),
  };
}
