/**
 * Golden test for the tetcdctl commands added in session 2 (golden-cases-ext.ts), on its own pair
 * of fresh real etcd 3.4 servers (same comparison and normalisation as etcdctl-golden.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GOLDEN_CASES_EXT } from './golden-cases-ext.js';
import { compareCases, startPair } from './golden-runner.js';
import type { GoldenPair } from './golden-runner.js';

let pair: GoldenPair | undefined;

before(async () => {
  pair = await startPair();
});

after(async () => {
  await pair?.close();
});

test('tetcdctl matches etcdctl 3.4 on member/watch/lock/lease/auth commands', async () => {
  assert.ok(pair !== undefined, 'servers started');
  const failures = await compareCases(pair, GOLDEN_CASES_EXT);
  assert.equal(failures.length, 0, `${failures.length} cases differ:\n${failures.join('\n\n')}`);
});
