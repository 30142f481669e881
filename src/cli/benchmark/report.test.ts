import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyRecorder, summarize } from './latency-stats.js';
import { formatReport, requestsPerSecond, toJson } from './report.js';
import type { BenchmarkResult } from './report.js';

function resultOf(latenciesMs: number[], elapsedMs: number, errors: Array<[string, number]> = []): BenchmarkResult {
  const recorder = new LatencyRecorder(latenciesMs.length);
  for (const ms of latenciesMs) recorder.record(ms);
  return { workload: 'put', elapsedMs, latency: summarize(recorder), errorCounts: new Map(errors) };
}

test('report has etcd benchmark layout', () => {
  const result = resultOf(Array.from({ length: 1000 }, (_, i) => (i + 1) / 10), 2000);
  const text = formatReport(result);
  const lines = text.split('\n');
  assert.equal(lines[1], 'Summary:');
  assert.equal(lines[2], '  Total:\t2.0000 secs.');
  assert.equal(lines[3], '  Slowest:\t0.1000 secs.');
  assert.equal(lines[4], '  Fastest:\t0.0001 secs.');
  assert.match(lines[5]!, /^ {2}Average:\t0\.050[01] secs\.$/); // 50.05 ms rounds either way
  assert.match(lines[6]!, /^ {2}Stddev:\t0\.0289 secs\.$/);
  assert.equal(lines[7], '  Requests/sec:\t500.0000');
  assert.ok(text.includes('\nResponse time histogram:\n  0.0001 [1]\t|\n'));
  assert.ok(text.includes('  0.1000 [100]\t|' + '∎'.repeat(40) + '\n'));
  assert.ok(text.includes('\nLatency distribution:\n  10% in 0.0100 secs.\n  25% in 0.0250 secs.\n'));
  assert.ok(text.includes('  99% in 0.0990 secs.\n  99.9% in 0.0999 secs.\n'));
  assert.ok(!text.includes('Error distribution'));
});

test('errors are listed most frequent first', () => {
  const text = formatReport(resultOf([1], 10, [['etcdserver: too many requests', 2], ['boom', 5]]));
  assert.ok(text.includes('Error distribution (7 failed):\n  [5]\tboom\n  [2]\tetcdserver: too many requests\n'));
});

test('empty run prints a summary without histogram and JSON has zeros', () => {
  const result = resultOf([], 0);
  assert.equal(requestsPerSecond(result), 0);
  assert.ok(!formatReport(result).includes('histogram'));
  assert.deepEqual(toJson(result).latencyMs.p99, 0);
});

test('json has throughput and p50/p90/p99 in milliseconds', () => {
  const json = toJson(resultOf(Array.from({ length: 100 }, (_, i) => i + 1), 1000, [['x', 3]]));
  assert.equal(json.workload, 'put');
  assert.equal(json.requests, 100);
  assert.equal(json.errors, 3);
  assert.equal(json.requestsPerSecond, 100);
  assert.equal(json.elapsedSeconds, 1);
  assert.equal(json.latencyMs.p50, 50);
  assert.equal(json.latencyMs.p90, 90);
  assert.equal(json.latencyMs.p99, 99);
  assert.equal(json.latencyMs.p999, 100);
  assert.equal(json.latencyMs.fastest, 1);
  assert.equal(JSON.parse(JSON.stringify(json)).latencyMs.slowest, 100);
});
