import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { DEFERRED_OBSERVATIONS_MAX, deferCounter, deferHistogram, flushDeferred } from './deferred.js';

function metrics(): { registry: Registry; counter: Counter<string>; histogram: Histogram<string> } {
  const registry = new Registry();
  const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['peer'], registers: [registry],
    collect(this: Counter<string>) { flushDeferred(this); } });
  const histogram = new Histogram({ name: 'h_seconds', help: 'h', buckets: [0.001, 1], registers: [registry],
    collect(this: Histogram<string>) { flushDeferred(this); } });
  return { registry, counter, histogram };
}

test('buffered counter updates appear at the next collection, exactly once', async () => {
  const { registry, counter } = metrics();
  const a = deferCounter(counter, counter.labels({ peer: 'a' }));
  const b = deferCounter(counter, counter.labels({ peer: 'b' }));
  a.inc(5);
  a.inc();
  b.touch();
  const first = await registry.getSingleMetricAsString('c_total');
  assert.match(first, /c_total\{peer="a"\} 6/);
  assert.match(first, /c_total\{peer="b"\} 0/);
  a.inc(4);
  const second = await registry.metrics();
  assert.match(second, /c_total\{peer="a"\} 10/);
  // Collecting again without updates changes nothing.
  assert.match(await registry.metrics(), /c_total\{peer="a"\} 10/);
});

test('buffered observations are handed over at collection and when the buffer fills', async () => {
  const { registry, histogram } = metrics();
  const h = deferHistogram(histogram, histogram);
  h.observe(0.0005);
  h.observe(0.5);
  assert.match(await registry.metrics(), /h_seconds_count 2/);
});

test('without a collection the buffer stays bounded: a full buffer is handed over at once', () => {
  const seen: number[] = [];
  const owner = {};
  const h = deferHistogram(owner, { observe: (value) => seen.push(value) });
  for (let i = 0; i < DEFERRED_OBSERVATIONS_MAX - 1; i++) h.observe(i);
  assert.equal(seen.length, 0);
  h.observe(-1);
  assert.equal(seen.length, DEFERRED_OBSERVATIONS_MAX);
  h.observe(7);
  flushDeferred(owner);
  assert.deepEqual(seen.slice(-2), [-1, 7]);
});
