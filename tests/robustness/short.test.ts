/**
 * The short robustness profile for `npm test` (about 2 minutes): a 3-member cluster of real processes
 * under the kv traffic with a few faults (SIGKILL, SIGSTOP, partitions, one-way loss, leader transfer,
 * defrag, compaction, whole-cluster power loss, random crash points with lost un-fsynced WAL data); every
 * checker must pass. Then the canary: the same harness against a server that acknowledges before fsync
 * (TETCD_CANARY_BUG=ack-before-fsync) must be caught. SEED=N replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRobustness } from './run.js';

const seed = Number(process.env['SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.log(`SEED=${seed}`);

const SHORT_DURATION_MS = 60_000;
const CANARY_DURATION_MS = 20_000;
const log = (line: string): void => { if (process.env['ROBUSTNESS_VERBOSE'] === '1') console.log(line); };

test('short profile: 3 members with faults, histories are linearizable and watches hold', { timeout: 300_000 },
  async () => {
    const result = await runRobustness({
      seed, durationMs: SHORT_DURATION_MS, members: 3, profile: 'kv', log,
      faults: ['kill', 'pause', 'partition', 'oneway', 'moveLeader', 'defrag', 'compact', 'powerloss'],
      env: { TETCD_CRASH_POINTS: 'wal.after-sync:0.0003,backend.before-commit:0.001' },
    });
    console.log(result.summary);
    assert.ok(result.ok, `${result.summary}\n${result.violations.slice(0, 20).join('\n')}\nreport: ${result.reportDir}`);
    assert.ok(result.faults.length >= 3, `only ${result.faults.length} faults injected`);
    assert.ok(result.opsOk >= 300, `only ${result.opsOk} operations completed`);
    assert.ok(result.watchEvents > 0, 'watchers saw no events');
  });

test('canary: acknowledging before fsync is caught by the checkers', { timeout: 180_000 }, async () => {
  const result = await runRobustness({
    seed, durationMs: CANARY_DURATION_MS, members: 3, profile: 'kv', log, faults: ['powerloss'], faultGapMs: 3_000,
    env: { TETCD_CANARY_BUG: 'ack-before-fsync' },
  });
  console.log(`canary: ${result.summary}`);
  assert.equal(result.ok, false, 'the ack-before-fsync canary was not caught');
  assert.ok(result.violations.length > 0);
});
