import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DATA_DIR_LOCK_FILE, DataDirInUseError, lockDataDir, lockHolder } from './data-dir-lock.js';

function withDir(body: (dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tetcd-lock-'));
    try { await body(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
  };
}

test('a live process holding the lock keeps others out until it exits', withDir(async (dir) => {
  // A child process takes the lock, reports, and waits for stdin to close.
  const script = `import { lockDataDir } from ${JSON.stringify(new URL('./data-dir-lock.ts', import.meta.url).href)};
    lockDataDir('d', ${JSON.stringify(dir)}); process.stdout.write('locked\\n'); process.stdin.resume();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
  try {
    assert.equal(lockHolder(dir)?.pid, child.pid);
    assert.throws(() => lockDataDir('/data', dir), (error: unknown) =>
      error instanceof DataDirInUseError && error.code === 'ERR_DATA_DIR_IN_USE' &&
      error.message === `data dir /data is in use by another process (pid ${child.pid}): stop it first`);
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  // Killed without releasing: the lock is stale and taken over.
  assert.equal(lockHolder(dir), undefined);
  const lock = lockDataDir('/data', dir);
  assert.match(readFileSync(join(dir, DATA_DIR_LOCK_FILE), 'utf8'), new RegExp(`^${process.pid} `));
  lock.release();
  assert.equal(existsSync(join(dir, DATA_DIR_LOCK_FILE)), false);
}));

test('a lock naming a live pid with another start time (a reused pid) is stale', withDir((dir) => {
  writeFileSync(join(dir, DATA_DIR_LOCK_FILE), `${process.ppid} 1\n`);
  assert.equal(lockHolder(dir), undefined);
  lockDataDir('/data', dir).release();
}));

test('within one process the lock is re-entrant; release removes only its own file', withDir((dir) => {
  const first = lockDataDir('/data', dir);
  const second = lockDataDir('/data', dir);
  first.release(); // the file is now the second's (same content): removed, as both are this process's
  second.release();
  assert.equal(existsSync(join(dir, DATA_DIR_LOCK_FILE)), false);
  const third = lockDataDir('/data', dir);
  writeFileSync(join(dir, DATA_DIR_LOCK_FILE), '1 1\n'); // taken over by someone else meanwhile
  third.release();
  assert.equal(readFileSync(join(dir, DATA_DIR_LOCK_FILE), 'utf8'), '1 1\n', 'not ours: left alone');
}));
