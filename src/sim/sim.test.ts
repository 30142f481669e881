import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeedsParallel } from './parallel.js';
import { runSeed, summaryLine } from './run.js';

/** Seeds swept by the fast profile (each a few hundred ticks). */
const SWEEP_SEEDS = 2000;
const JOBS = 2;

test('fast profile: every seed passes every checker', async () => {
  const start = Number(process.env.SEED ?? 0);
  console.log(`SEED=${start} (sweeping seeds [${start}, ${start + SWEEP_SEEDS}), profile fast)`);
  const startedMs = performance.now();
  const reply = await runSeedsParallel(start, SWEEP_SEEDS, 'fast', JOBS);
  for (const failure of reply.failures) {
    console.log(`SEED=${failure.seed} ${failure.checker} at tick ${failure.tick}: ${failure.message.slice(0, 2000)}`);
    console.log(`  replay: npm run sim -- --seed ${failure.seed} --profile fast`);
  }
  console.log(`${summaryLine(reply)} wall_ms=${Math.round(performance.now() - startedMs)}`);
  assert.equal(reply.seeds, SWEEP_SEEDS);
  assert.equal(reply.failures.length, 0, `failing seeds: ${reply.failures.map((f) => f.seed).join(', ')}`);
});

test('a seed replays exactly: same options, same trace digest', () => {
  for (const seed of [3, 17, 42]) {
    const first = runSeed(seed, 'fast');
    const second = runSeed(seed, 'fast');
    assert.equal(first.digest, second.digest, `seed ${seed}`);
    assert.equal(first.ticks, second.ticks);
    assert.deepEqual(first.stats, second.stats);
    assert.ok(first.events > 100, 'a run records events');
  }
  assert.notEqual(runSeed(3, 'fast').digest, runSeed(4, 'fast').digest);
});

test('SEED=91810 regression: survivors converge after a removed leader stops (at once or after a delay)', () => {
  // The leader removed itself and stopped before the others learned that the removal committed; voter 1,
  // stuck in an old configuration, ran its term ahead unseen (src/sim/FOUND-BUGS.md). Before the fix this
  // took ~650 ticks to converge with an immediate stop (liveness bound 300); with the old raft rule the
  // delay-0 run fails again. The fix changes the message flow (so the schedule differs after it);
  // raw-node.test.ts pins the mechanism itself.
  for (const removedStopDelayTicks of [0, 10, 30]) {
    const result = runSeed(91810, 'fast', { removedStopDelayTicks });
    assert.equal(result.ok, true, `delay ${removedStopDelayTicks}: ${result.failure?.message ?? ''}`);
  }
});
