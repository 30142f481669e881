import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { closeStore, openStore, put, show, tempDbPath } from '../mvcc/test-util.js';
import { backendSnapshotBytes } from '../snapshot/backend-image.js';
import { ResetRestoreError, restoreForReset, type ResetRestoreOptions } from './reset-restore.js';

const root = mkdtempSync(join(tmpdir(), 'tetcd-reset-restore-'));
after(() => rmSync(root, { recursive: true, force: true }));
const NOW = new Date('2026-03-04T05:06:07Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

/** A snapshot file (bbolt db + sha256 trailer) holding a=1, b=2. */
async function makeSnapshot(): Promise<string> {
  const opened = await openStore(tempDbPath());
  put(opened.store, 'a', '1');
  put(opened.store, 'b', '2');
  const bytes = backendSnapshotBytes(opened.backend);
  await closeStore(opened);
  const path = join(root, `snap-${Math.random().toString(16).slice(2)}.db`);
  writeFileSync(path, bytes);
  return path;
}

/** A data dir with a recognisable old member dir. */
function oldDataDir(name: string): string {
  const dataDir = join(root, name);
  mkdirSync(join(dataDir, 'member', 'wal'), { recursive: true });
  writeFileSync(join(dataDir, 'member', 'wal', 'old.wal'), 'old');
  return dataDir;
}

function options(dataDir: string, restorePath: string, extra: Partial<ResetRestoreOptions> = {}): ResetRestoreOptions {
  return { dataDir, walDir: '', name: 's1', initialAdvertisePeerUrls: ['https://127.0.0.1:2380'],
    initialClusterToken: 'tok', restorePath, now: NOW, ...extra };
}

test('restore moves the old member dir aside and installs the snapshot as a one-member cluster', async () => {
  const dataDir = oldDataDir('ok');
  let prepared = '';
  const result = await restoreForReset(options(dataDir, await makeSnapshot(), {
    prepare: (staging, restored, snapshotPath) => {
      prepared = `${existsSync(join(staging, 'member', 'snap', 'db'))}:${restored.revision}:${existsSync(snapshotPath)}`;
      return Promise.resolve();
    },
  }));
  assert.equal(prepared, 'true:3:true');
  assert.deepEqual(result.movedAside, [join(dataDir, `member-old-${NOW_SECONDS}`)]);
  assert.equal(readFileSync(join(dataDir, `member-old-${NOW_SECONDS}`, 'wal', 'old.wal'), 'utf8'), 'old');
  assert.deepEqual(readdirSync(dataDir).sort(), ['member', `member-old-${NOW_SECONDS}`]);
  const opened = await openStore(join(dataDir, 'member', 'snap', 'db'));
  try {
    assert.deepEqual(show(opened.store, 'a', '\0'), ['a=1@2/2/1', 'b=2@3/3/1']);
  } finally {
    await closeStore(opened);
  }
});

test('a separate --wal-dir is moved aside too and receives the new WAL', async () => {
  const dataDir = oldDataDir('waldir');
  const walDir = join(root, 'waldir-wal');
  mkdirSync(walDir);
  writeFileSync(join(walDir, 'x.wal'), 'old');
  const result = await restoreForReset(options(dataDir, await makeSnapshot(), { walDir }));
  assert.deepEqual(result.movedAside, [join(dataDir, `member-old-${NOW_SECONDS}`), `${walDir}-old-${NOW_SECONDS}`]);
  assert.ok(readdirSync(walDir).some((n) => n.endsWith('.wal') && n !== 'x.wal'));
  assert.ok(!existsSync(join(dataDir, 'member', 'wal')));
});

test('a missing or corrupt snapshot changes nothing', async () => {
  const dataDir = oldDataDir('bad');
  const before = readdirSync(dataDir).sort();
  const corrupt = join(root, 'corrupt.db');
  writeFileSync(corrupt, Buffer.alloc(1000, 3));
  for (const path of [join(root, 'missing.db'), corrupt]) {
    await assert.rejects(restoreForReset(options(dataDir, path)), (error: unknown) =>
      error instanceof ResetRestoreError && !error.dataChanged && /was not changed/.test(error.message));
    assert.deepEqual(readdirSync(dataDir).sort(), before);
    assert.equal(readFileSync(join(dataDir, 'member', 'wal', 'old.wal'), 'utf8'), 'old');
  }
  const failingPrepare = options(dataDir, await makeSnapshot(), { prepare: () => Promise.reject(new Error('boom')) });
  await assert.rejects(restoreForReset(failingPrepare), /boom; the data dir .* was not changed/);
  assert.deepEqual(readdirSync(dataDir).sort(), before);
});
