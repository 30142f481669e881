/**
 * The canary: raft with the Figure-8 bug (a leader commits entries of an earlier term by counting
 * replicas) must be caught by the simulator within the fast profile; so must a simulated server that
 * breaks the Ready contract by acknowledging before its fsync. These test the checkers themselves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeedsParallel } from './parallel.js';

const PROFILE_SEEDS = 2000;
const JOBS = 2;
const start = Number(process.env.SEED ?? 0);

test('the Figure-8 bug is caught (commit-rule check on)', async () => {
  console.log(`SEED=${start} (canary, seeds [${start}, ${start + PROFILE_SEEDS}), profile fast)`);
  const reply = await runSeedsParallel(start, PROFILE_SEEDS, 'fast', JOBS,
    { unsafeCommitPreviousTermByCounting: true }, true);
  const first = reply.failures[0];
  assert.ok(first !== undefined, `not caught in ${reply.seeds} seeds`);
  console.log(`caught at SEED=${first.seed} by ${first.checker}: ${first.message.slice(0, 300)}`);
});

test('the Figure-8 bug is caught by its consequences alone (commit-rule check off)', async () => {
  const reply = await runSeedsParallel(start, PROFILE_SEEDS, 'fast', JOBS,
    { unsafeCommitPreviousTermByCounting: true, checkCommitRule: false }, true);
  const first = reply.failures[0];
  assert.ok(first !== undefined, `not caught in ${reply.seeds} seeds`);
  console.log(`caught at SEED=${first.seed} by ${first.checker}: ${first.message.slice(0, 300)}`);
  const consequences = ['state-machine-safety', 'leader-completeness', 'linearizability', 'log-matching'];
  assert.ok(reply.failures.every((f) => consequences.includes(f.checker)),
    `unexpected checkers: ${reply.failures.map((f) => f.checker).join(', ')}`);
});

test('a server that acknowledges before fsync is caught', async () => {
  const reply = await runSeedsParallel(start, PROFILE_SEEDS, 'fast', JOBS, { unsafeSendBeforeFsync: true }, true);
  const first = reply.failures[0];
  assert.ok(first !== undefined, `not caught in ${reply.seeds} seeds`);
  console.log(`caught at SEED=${first.seed} by ${first.checker}: ${first.message.slice(0, 300)}`);
});
