/**
 * The short robustness profile for `npm test` (about 2.5 minutes): a 3-member cluster of real processes
 * under the lease traffic (the kv mix plus short leases kept alive, expiring or revoked) with a few faults
 * (SIGKILL, SIGSTOP, partitions, one-way loss, leader transfer, defrag, compaction, whole-cluster power
 * loss, random crash points with lost un-fsynced WAL data, including inside LMDB, compaction and defrag
 * commits); every checker must pass. Then two canaries that must be caught: a server that acknowledges
 * before fsync (TETCD_CANARY_BUG=ack-before-fsync), and one that expires leases at half their TTL
 * (lease-early-expiry), the latter run in the secure profile (client TLS + auth). SEED=N replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRobustness } from './run.js';

const seed = Number(process.env['SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.log(`SEED=${seed}`);

const SHORT_DURATION_MS = 60_000;
const CANARY_DURATION_MS = 20_000;
const LEASE_CANARY_DURATION_MS = 10_000;
const log = (line: string): void => { if (process.env['ROBUSTNESS_VERBOSE'] === '1') console.log(line); };

test('short profile: 3 members with faults, histories are linearizable and watches hold', { timeout: 300_000 },
  async () => {
    const result = await runRobustness({
      seed, durationMs: SHORT_DURATION_MS, members: 3, profile: 'lease', log,
      faults: ['kill', 'pause', 'partition', 'oneway', 'moveLeader', 'defrag', 'compact', 'powerloss'],
      env: { TETCD_CRASH_POINTS: 'wal.after-sync:0.0003,backend.before-commit:0.001,backend.mid-commit:0.001,' +
        'backend.compaction-mid-commit:0.05,backend.defrag-after-copy:0.3' },
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

test('canary: expiring leases at half their TTL is caught (secure profile)', { timeout: 120_000 }, async () => {
  const result = await runRobustness({
    seed, durationMs: LEASE_CANARY_DURATION_MS, members: 3, profile: 'lease', log, faults: [], secure: true,
    env: { TETCD_CANARY_BUG: 'lease-early-expiry' },
  });
  console.log(`lease canary: ${result.summary}`);
  assert.ok(result.opsOk >= 20, `only ${result.opsOk} operations completed over TLS with auth`);
  assert.ok(result.violations.some((v) => v.includes('expired early')),
    `the lease-early-expiry canary was not caught:\n${result.violations.slice(0, 10).join('\n')}`);
});
