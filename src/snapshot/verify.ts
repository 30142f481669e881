/**
 * The restore drill behind `tetcdctl snapshot verify FILE` (beyond etcdctl): the monthly restore drill as one command. Checks the
 * sha256 trailer and the bbolt structure, restores into a temporary data dir, opens the restored store
 * and checks that its revision and number of revisions match the snapshot's; the temp dir is removed.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../backend/backend.js';
import { MvccStore } from '../mvcc/store.js';
import { readBbolt } from './bbolt/reader.js';
import { restoreSnapshot } from './restore.js';
import { splitSnapshot, verifySnapshotHash } from './snapshot-file.js';
import { snapshotStatus, type SnapshotStatus } from './status.js';

const ALL_KEYS_FROM = new Uint8Array([0]);

/**
 * Runs the drill; resolves with the snapshot's status. Throws Error on a mismatch, SnapshotHashError,
 * CorruptionError, or fs errors.
 */
export async function verifySnapshotFile(path: string): Promise<SnapshotStatus> {
  const split = splitSnapshot(await readFile(path));
  verifySnapshotHash(split, false);
  const db = readBbolt(split.db, path);
  const status = snapshotStatus(db);
  const expectedRevisions = db.buckets.get('key')?.length ?? 0;
  const dir = await mkdtemp(join(tmpdir(), 'tetcdctl-verify-'));
  try {
    const dataDir = join(dir, 'data');
    await restoreSnapshot({ snapshotPath: path, name: 'verify', dataDir, walDir: '', initialCluster: '',
      initialClusterToken: 'verify', initialAdvertisePeerUrls: ['http://127.0.0.1:2380'], skipHashCheck: false,
      bumpRevision: 0, markCompacted: false });
    const backend = await Backend.open(join(dataDir, 'member', 'snap', 'db'));
    try {
      const store = await MvccStore.open(backend);
      const revision = store.currentRevision();
      await store.close();
      let revisions = 0;
      for (const entry of backend.range('key', ALL_KEYS_FROM)) if (entry !== undefined) revisions++;
      if (revisions !== expectedRevisions) {
        throw new Error(`restored store holds ${revisions} revisions, the snapshot ${expectedRevisions}`);
      }
      if (status.revision !== 0 && revision !== status.revision) {
        throw new Error(`restored store is at revision ${revision}, the snapshot at ${status.revision}`);
      }
    } finally {
      await backend.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return status;
}
