import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crashPoint, crashPointsEnabled, parseCrashPoints } from './crash-points.js';

test('crash point specs parse bare names, nth hits and probabilities', () => {
  const parsed = parseCrashPoints('wal.after-sync, backend.before-commit:3,raft.before-save:0.25');
  assert.deepEqual(parsed.get('wal.after-sync'), { kind: 'nth', nth: 1, hits: 0 });
  assert.deepEqual(parsed.get('backend.before-commit'), { kind: 'nth', nth: 3, hits: 0 });
  assert.deepEqual(parsed.get('raft.before-save'), { kind: 'probability', p: 0.25 });
  assert.throws(() => parseCrashPoints('wal.after-synk'), /unknown crash point/);
  assert.throws(() => parseCrashPoints('wal.after-sync:0'), /bad crash point trigger/);
  assert.throws(() => parseCrashPoints('wal.after-sync:1.5'), /bad crash point trigger/);
});

test('without the environment variable every point is a no-op', () => {
  assert.equal(crashPointsEnabled, false);
  crashPoint('wal.after-sync');
});

test('an armed point SIGKILLs on its nth hit and drops un-fsynced WAL bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crash-points-'));
  try {
    const file = join(dir, 'seg.wal');
    const script = `
      import { appendFileSync, writeFileSync } from 'node:fs';
      import { crashPoint, noteWalSynced } from ${JSON.stringify(new URL('./crash-points.ts', import.meta.url).href)};
      writeFileSync(${JSON.stringify(file)}, 'durable');
      noteWalSynced(${JSON.stringify(file)}, 7);
      appendFileSync(${JSON.stringify(file)}, '-not-synced');
      crashPoint('wal.after-sync');
      process.stdout.write('survived first hit\\n');
      crashPoint('wal.after-sync');
      process.stdout.write('survived second hit\\n');`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, TETCD_CRASH_POINTS: 'wal.after-sync:2', TETCD_CRASH_LOSE_UNSYNCED: '1' },
      encoding: 'utf8',
    });
    assert.equal(result.signal, 'SIGKILL', result.stderr);
    assert.match(result.stdout, /survived first hit/);
    assert.doesNotMatch(result.stdout, /survived second hit/);
    assert.match(result.stderr, /crash point wal.after-sync/);
    assert.equal(statSync(file).size, 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
