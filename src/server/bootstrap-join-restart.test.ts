/**
 * A member that joined an existing cluster has no snapshot file until the leader sends one. Killed
 * before that (or during its first snapshot install, with the backend already swapped in), it must
 * restart: found by the 30-minute robustness run (seed 5005), where a replacement member crashed at
 * `snap.before-rename` and then failed every restart with "raft storage: snap-out-of-date".
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatIdHex } from '../base/ids.js';
import { bootstrap, type BootstrapConfig } from './bootstrap.js';
import { encodeMemberJson } from './membership/member-json.js';

const JOINER = { name: 'c', peerUrls: ['http://127.0.0.1:3'] };
const OTHERS = [{ name: 'a', peerUrls: ['http://127.0.0.1:1'] }, { name: 'b', peerUrls: ['http://127.0.0.1:2'] }];
const CLUSTER_ID = 0xabcn;

function config(dataDir: string): BootstrapConfig {
  const members = [...OTHERS, JOINER].map((m, i) => ({ id: BigInt(i + 1), name: m.name, peerUrls: m.peerUrls,
    clientUrls: [], isLearner: false }));
  const body = `{"clusterId":"${formatIdHex(CLUSTER_ID)}","members":[${members.map(encodeMemberJson).join(',')}]}`;
  return {
    peerGet: () => Promise.resolve({ status: 200, body }), name: JOINER.name, dataDir, walDir: '',
    initialCluster: [...OTHERS, JOINER], initialClusterState: 'existing', initialClusterToken: 't',
    unsafeNoFsync: true, backendBatchIntervalMs: 10, backendBatchLimit: 100,
  };
}

test('a joined member restarts before its first snapshot from the leader', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tetcd-join-'));
  try {
    const dataDir = join(root, 'data');
    const first = await bootstrap(config(dataDir));
    assert.equal(first.isNew, true);
    assert.equal(first.snapshotIndex, 0);
    await first.wal.close();
    await first.backend.close();
    first.dataDirLock.release();
    const again = await bootstrap(config(dataDir));
    try {
      assert.equal(again.isNew, false);
      assert.equal(again.memberId, 3n);
      assert.equal(again.clusterId, CLUSTER_ID);
      assert.equal(again.snapshotIndex, 0);
      assert.equal(again.storage.lastIndex(), 0);
      assert.equal(again.membership.list().length, 3);
    } finally {
      await again.wal.close();
      await again.backend.close();
      again.dataDirLock.release();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
