/**
 * Golden test for tetcdctl: the same command lines run with real etcdctl 3.4 (/usr/bin/etcdctl) and
 * with tetcdctl, each against its own fresh real etcd 3.4 (identical command sequences, so both
 * servers go through identical states). stdout, stderr and exit codes must match exactly after
 * normalising ids, endpoints, lease ids, `took` durations and etcdctl's zap warning lines.
 * Fails (never skips) when etcd or etcdctl is missing. GOLDEN_FILTER=text runs a subset.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GOLDEN_CASES } from './golden-cases.js';
import { compareCases, startPair } from './golden-runner.js';
import type { GoldenPair } from './golden-runner.js';

let pair: GoldenPair | undefined;

before(async () => {
  pair = await startPair();
});

after(async () => {
  await pair?.close();
});

test('tetcdctl matches etcdctl 3.4 byte for byte', async () => {
  assert.ok(pair !== undefined, 'servers started');
  const failures = await compareCases(pair, GOLDEN_CASES);
  assert.equal(failures.length, 0, `${failures.length} cases differ:\n${failures.join('\n\n')}`);
});
