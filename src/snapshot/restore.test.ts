import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CorruptionError, isEtcdError } from '../base/errors.js';
import { encodeRevision } from '../mvcc/revision.js';
import { closeStore, dec, openStore, put, show, tempDbPath } from '../mvcc/test-util.js';
import { Wal } from '../wal/wal.js';
import { backendSnapshotBytes } from './backend-image.js';
import { computeClusterId, computeMemberId } from '../platform/member-ids.js';
import { RestoreError, restoreSnapshot, type RestoreOptions } from './restore.js';
import { SnapshotHashError } from './snapshot-file.js';

const root = mkdtempSync(join(tmpdir(), 'tetcd-restore-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A snapshot file of a store with three keys (one overwritten), revision 5, compacted at 3. */
async function makeSnapshot(): Promise<string> {
  const opened = await openStore(tempDbPath());
  put(opened.store, 'a', '1');
  put(opened.store, 'b', '2');
  put(opened.store, 'a', '3');
  put(opened.store, 'c', '4');
  await opened.store.compact(3).done;
  opened.backend.put('members', new TextEncoder().encode('1234'), new TextEncoder().encode('{"id":4660}'));
  const bytes = backendSnapshotBytes(opened.backend);
  await closeStore(opened);
  const path = join(root, `snap-${Math.random().toString(16).slice(2)}.db`);
  writeFileSync(path, bytes);
  return path;
}

function options(snapshotPath: string, dataDir: string, extra: Partial<RestoreOptions> = {}): RestoreOptions {
  return {
    snapshotPath, name: 'n2', dataDir, walDir: '', skipHashCheck: false, bumpRevision: 0, markCompacted: false,
    initialCluster: 'n1=http://127.0.0.1:1,n2=http://127.0.0.1:2', initialClusterToken: 'tok',
    initialAdvertisePeerUrls: ['http://127.0.0.1:2'], ...extra,
  };
}

test('restore builds a data dir with the data, a new membership and raft state', async () => {
  const dataDir = join(root, 'ok');
  const result = await restoreSnapshot(options(await makeSnapshot(), dataDir));
  const ids = [computeMemberId(['http://127.0.0.1:1'], 'tok'), computeMemberId(['http://127.0.0.1:2'], 'tok')];
  assert.equal(result.memberId, ids[1]);
  assert.equal(result.clusterId, computeClusterId(ids));
  assert.equal(result.revision, 5);
  assert.deepEqual(readdirSync(join(dataDir, 'member', 'snap')).sort(), ['0000000000000001-0000000000000001.snap', 'db', 'db-lock']);
  const opened = await openStore(join(dataDir, 'member', 'snap', 'db'));
  try {
    assert.deepEqual(show(opened.store, 'a', '\0'), ['a=3@2/4/2', 'b=2@3/3/1', 'c=4@5/5/1']);
    assert.equal(opened.store.currentRevision(), 5);
    assert.equal(opened.store.compactRevision(), 3);
    const members = [...opened.backend.range('members', new Uint8Array([0]))].map(([, v]) => dec(v));
    assert.equal(members.length, 2);
    assert.ok(members.every((m) => m.includes('"peerURLs":["http://127.0.0.1:')));
  } finally {
    await closeStore(opened);
  }
  const { wal, read } = await Wal.open(join(dataDir, 'member', 'wal'), { index: 1, term: 1,
    confState: { voters: ids, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } });
  assert.equal(read.hardState.commit, 1);
  assert.match(dec(read.metadata), /"clusterId":"[0-9a-f]+"/);
  await wal.close();
});

test('a non-empty data dir, a bad hash and a damaged db are refused', async () => {
  const snapshot = await makeSnapshot();
  const busy = join(root, 'busy');
  mkdirSync(busy, { recursive: true });
  writeFileSync(join(busy, 'x'), 'x');
  await assert.rejects(restoreSnapshot(options(snapshot, busy)), (e: unknown) =>
    e instanceof RestoreError && e.message === `data-dir "${busy}" not empty or could not be read`);
  await assert.rejects(restoreSnapshot(options(snapshot, join(root, 'e'), { refuseExistingDir: true, dataDir: busy })),
    /data-dir ".*busy" exists/);
  const bytes = Buffer.from(await import('node:fs/promises').then((fs) => fs.readFile(snapshot)));
  bytes[5000]! ^= 0x01;
  const damaged = join(root, 'damaged.db');
  writeFileSync(damaged, bytes);
  const target = join(root, 'never');
  await assert.rejects(restoreSnapshot(options(damaged, target)), (e: unknown) =>
    e instanceof SnapshotHashError && /^expected sha256 \[[0-9 ]+\], got \[[0-9 ]+\]$/.test(e.message));
  assert.throws(() => readdirSync(target));
  // With the hash check skipped, the damaged structure itself is still caught (or the data differs).
  bytes[3 * 4096]! ^= 0xff;
  writeFileSync(damaged, bytes);
  await assert.rejects(restoreSnapshot(options(damaged, target, { skipHashCheck: true })), CorruptionError);
  assert.throws(() => readdirSync(target));
});

test('--bump-revision with --mark-compacted moves the revision and compacts there', async () => {
  const snapshot = await makeSnapshot();
  await assert.rejects(restoreSnapshot(options(snapshot, join(root, 'b1'), { bumpRevision: 10 })),
    /--mark-compacted required/);
  const dataDir = join(root, 'b2');
  const result = await restoreSnapshot(options(snapshot, dataDir, { bumpRevision: 10, markCompacted: true }));
  assert.equal(result.revision, 15);
  const opened = await openStore(join(dataDir, 'member', 'snap', 'db'));
  try {
    await opened.store.compactionsDone();
    assert.equal(opened.store.currentRevision(), 15);
    assert.equal(opened.store.compactRevision(), 15);
    assert.deepEqual(show(opened.store, 'a', '\0'), ['a=3@2/4/2', 'b=2@3/3/1', 'c=4@5/5/1']);
    // etcdutl's marker: an empty value at {15, 0} in `key`; a watch from an old revision is compacted.
    assert.equal(opened.backend.get('key', encodeRevision(15, 0))?.length, 0);
    assert.throws(() => opened.store.eventsBetween(5, 15), (e: unknown) => isEtcdError(e, 'ERR_COMPACTED'));
    put(opened.store, 'd', '5');
    assert.equal(opened.store.currentRevision(), 16);
  } finally {
    await closeStore(opened);
  }
});
