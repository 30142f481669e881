import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyRecorder, histogramOf, meanAndStddevMs, percentileMs, summarize } from './latency-stats.js';
import { SeededRandom } from '../../base/random.js';

const sorted = (values: number[]): Float64Array => Float64Array.from(values).sort();

test('nearest-rank percentiles', () => {
  const samples = sorted(Array.from({ length: 100 }, (_, i) => i + 1)); // 1..100
  assert.equal(percentileMs(samples, 50), 50);
  assert.equal(percentileMs(samples, 90), 90);
  assert.equal(percentileMs(samples, 99), 99);
  assert.equal(percentileMs(samples, 99.9), 100);
  assert.equal(percentileMs(samples, 100), 100);
  assert.equal(percentileMs(samples, 10), 10);
  assert.equal(percentileMs(sorted([7]), 50), 7);
  assert.equal(percentileMs(new Float64Array(0), 99), 0);
  assert.throws(() => percentileMs(samples, 0), /out of range/);
  assert.throws(() => percentileMs(samples, 101), /out of range/);
});

test('mean and population stddev', () => {
  const { averageMs, stddevMs } = meanAndStddevMs(sorted([2, 4, 4, 4, 5, 5, 7, 9]));
  assert.equal(averageMs, 5);
  assert.equal(stddevMs, 2);
  assert.deepEqual(meanAndStddevMs(new Float64Array(0)), { averageMs: 0, stddevMs: 0 });
});

test('histogram: first row is the fastest, rows cover (fastest, slowest], counts sum up', () => {
  const rows = histogramOf(sorted([1, 1, 2, 3, 10, 11]), 10);
  assert.equal(rows.length, 11);
  assert.deepEqual(rows[0], { upperMs: 1, count: 2 });
  assert.equal(rows[10]!.upperMs, 11);
  assert.equal(rows[1]!.upperMs, 2);
  assert.equal(rows[1]!.count, 1); // 2 is in (1, 2]
  assert.equal(rows[2]!.count, 1); // 3 is in (2, 3]
  assert.equal(rows[9]!.count, 1); // 10 is in (9, 10]
  assert.equal(rows[10]!.count, 1);
  assert.equal(rows.reduce((n, r) => n + r.count, 0), 6);
  assert.deepEqual(histogramOf(new Float64Array(0)), []);
  const flat = histogramOf(sorted([3, 3, 3]));
  assert.equal(flat.reduce((n, r) => n + r.count, 0), 3);
  assert.equal(flat[0]!.count, 3);
});

test('randomized: summary agrees with a naive oracle', () => {
  const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
  console.log('SEED=' + seed);
  const random = new SeededRandom(seed);
  for (let round = 0; round < 50; round++) {
    const count = 1 + random.intBelow(2000);
    const recorder = new LatencyRecorder(random.intBelow(10)); // forces growth
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      const v = random.float() * 100;
      values.push(v);
      recorder.record(v);
    }
    values.sort((a, b) => a - b);
    const summary = summarize(recorder);
    assert.equal(summary.count, count);
    assert.equal(summary.fastestMs, values[0]);
    assert.equal(summary.slowestMs, values[count - 1]);
    for (const [p, ms] of summary.percentilesMs) {
      // Oracle: the smallest sample with at least p% of samples at or below it, in exact integer
      // arithmetic (percentiles have one decimal: compare in tenths of a percent, no float rounding).
      const pTenths = Math.round(p * 10);
      let i = 0;
      for (;;) {
        let atOrBelow = i + 1;
        while (atOrBelow < count && values[atOrBelow] === values[i]) atOrBelow++;
        if (atOrBelow * 1000 >= pTenths * count) break;
        i = atOrBelow;
      }
      const oracle = values[i];
      assert.equal(ms, oracle, `p${p}`);
    }
    assert.equal(summary.histogram.reduce((n, r) => n + r.count, 0), count);
    const mean = values.reduce((a, b) => a + b, 0) / count;
    assert.ok(Math.abs(summary.averageMs - mean) < 1e-9);
  }
});

test('recorder rejects bad samples', () => {
  const recorder = new LatencyRecorder(1);
  assert.throws(() => recorder.record(-1), /bad latency/);
  assert.throws(() => recorder.record(Number.NaN), /bad latency/);
  assert.throws(() => new LatencyRecorder(-1), /bad expectedCount/);
});

test('p99.9 of 1000 samples is the 999th (float noise in 99.9 / 100 * 1000 must not skip a rank)', () => {
  const samples = new Float64Array(Array.from({ length: 1000 }, (_, i) => i + 1));
  assert.equal(percentileMs(samples, 99.9), 999);
  assert.equal(percentileMs(samples, 10), 100);
});
