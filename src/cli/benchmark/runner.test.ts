import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRequests } from './runner.js';

test('runs every request number exactly once over the workers', async () => {
  const seen: number[] = [];
  let inFlight = 0;
  let inFlightMax = 0;
  const result = await runRequests({ workload: 'put', clients: 4, total: 50, ratePerSecond: 0 }, async (n) => {
    inFlight++;
    inFlightMax = Math.max(inFlightMax, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
    seen.push(n);
  });
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  assert.equal(inFlightMax, 4);
  assert.equal(result.latency.count, 50);
  assert.equal(result.errorCounts.size, 0);
});

test('failures are tallied by message, not thrown', async () => {
  const result = await runRequests({ workload: 'put', clients: 2, total: 10, ratePerSecond: 0 }, async (n) => {
    if (n % 3 === 0) throw new Error('etcdserver: too many requests');
  });
  assert.equal(result.latency.count, 6);
  assert.deepEqual([...result.errorCounts], [['etcdserver: too many requests', 4]]);
});

test('deadline cuts the run short', async () => {
  const result = await runRequests({ workload: 'put', clients: 1, total: 1000, ratePerSecond: 0, deadlineMs: 30 },
    () => new Promise((resolve) => setTimeout(resolve, 5)));
  assert.ok(result.latency.count < 1000 && result.latency.count > 0, `count ${result.latency.count}`);
});

test('total 0 and bad options', async () => {
  const result = await runRequests({ workload: 'put', clients: 3, total: 0, ratePerSecond: 0 }, async () => {});
  assert.equal(result.latency.count, 0);
  await assert.rejects(runRequests({ workload: 'put', clients: 0, total: 1, ratePerSecond: 0 }, async () => {}),
    /bad clients/);
});
