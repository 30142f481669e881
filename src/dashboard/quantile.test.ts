import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../base/random.js';
import { histogramQuantile, type HistogramBucket } from './quantile.js';

/** Cumulative buckets of `samples` for the upper bounds `les` (+Inf appended). */
function bucketize(samples: readonly number[], les: readonly number[]): HistogramBucket[] {
  return [...les, Infinity].map((le) => ({ le, count: samples.filter((s) => s <= le).length }));
}

test('empty histogram or no observations: undefined', () => {
  assert.equal(histogramQuantile(0.99, []), undefined);
  assert.equal(histogramQuantile(0.99, bucketize([], [0.001, 0.002])), undefined);
});

test('interpolates inside the bucket holding the rank (Prometheus semantics)', () => {
  // 100 observations: 50 in (0, 1], 40 in (1, 2], 10 in (2, 4].
  const buckets = [{ le: 1, count: 50 }, { le: 2, count: 90 }, { le: 4, count: 100 }, { le: Infinity, count: 100 }];
  assert.equal(histogramQuantile(0.5, buckets), 1);
  assert.equal(histogramQuantile(0.25, buckets), 0.5);
  assert.equal(histogramQuantile(0.7, buckets), 1.5);
  assert.equal(histogramQuantile(0.99, buckets), 3.8);
  assert.equal(histogramQuantile(1, buckets), 4);
});

test('bucket order does not matter', () => {
  const buckets = [{ le: Infinity, count: 10 }, { le: 2, count: 10 }, { le: 1, count: 4 }];
  assert.equal(histogramQuantile(0.7, buckets), 1.5);
});

test('a rank in the +Inf bucket answers the highest finite bound', () => {
  const buckets = [{ le: 0.001, count: 1 }, { le: 0.002, count: 2 }, { le: Infinity, count: 100 }];
  assert.equal(histogramQuantile(0.99, buckets), 0.002);
  assert.equal(histogramQuantile(0.5, [{ le: Infinity, count: 3 }]), undefined);
});

test('rejects a quantile outside [0, 1] and non-cumulative counts', () => {
  assert.throws(() => histogramQuantile(1.5, [{ le: 1, count: 1 }]), /outside/);
  assert.throws(() => histogramQuantile(0.5, [{ le: 1, count: 5 }, { le: 2, count: 3 }]), /cumulative/);
});

test('randomized: the estimate lies in the bucket of the exact quantile and grows with q', () => {
  const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
  console.log(`SEED=${seed}`);
  const random = new SeededRandom(seed);
  const les = Array.from({ length: 14 }, (_, i) => 0.001 * 2 ** i);
  for (let round = 0; round < 200; round++) {
    const n = 1 + random.intBelow(500);
    const samples = Array.from({ length: n }, () => random.intBelow(20_000) / 1_000_000);
    const buckets = bucketize(samples, les);
    const sorted = [...samples].sort((a, b) => a - b);
    let last = -Infinity;
    for (const q of [0.5, 0.9, 0.99, 1]) {
      const estimate = histogramQuantile(q, buckets);
      assert.ok(estimate !== undefined);
      const exact = sorted[Math.max(0, Math.ceil(q * n) - 1)]!;
      const upper = les.find((le) => exact <= le) ?? les[les.length - 1]!;
      const lower = les.filter((le) => le < exact).pop() ?? 0;
      assert.ok(estimate >= lower - 1e-12 && estimate <= upper + 1e-12,
        `seed ${seed} round ${round} q=${q}: ${estimate} outside [${lower}, ${upper}] (exact ${exact})`);
      assert.ok(estimate >= last, `seed ${seed}: quantile decreased with q`);
      last = estimate;
    }
  }
});
