/** forceNewCluster on a real data dir: entries appended, uncommitted tail dropped, joint config left, idempotent. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeConfChangeV2, encodeConfChangeV2 } from '../raft/conf-change-codec.js';
import { ConfChangeTransition, ConfChangeType, EntryType, type ConfChangeV2 } from '../raft/types.js';
import { Backend } from '../backend/backend.js';
import { encodeUint64, META_CONSISTENT_INDEX } from '../mvcc/meta.js';
import { Wal } from '../wal/wal.js';
import { bootstrap, BootstrapError, memberPaths } from './bootstrap.js';
import { forceNewCluster } from './force-new-cluster.js';
import { computeMemberId } from '../platform/member-ids.js';

const TOKEN = 'fnc-test';
const MEMBERS = ['a', 'b', 'c'].map((name, i) => ({ name, peerUrls: [`http://127.0.0.1:${2380 + i}`] }));
const ID = (i: number): bigint => computeMemberId(MEMBERS[i]!.peerUrls, TOKEN);
const D = 0xdn;

async function newDataDir(): Promise<string> {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'tetcd-fnc-')), 'data');
  const boot = await bootstrap({
    peerGet: () => Promise.reject(new Error('no peers')), name: 'a', dataDir, walDir: '', initialCluster: MEMBERS,
    initialClusterState: 'new', initialClusterToken: TOKEN, unsafeNoFsync: true, backendBatchIntervalMs: 10,
    backendBatchLimit: 100,
  });
  await boot.wal.close();
  await boot.backend.close();
  return dataDir;
}

async function readWal(dataDir: string): Promise<Awaited<ReturnType<typeof Wal.open>>['read']> {
  const { wal, read } = await Wal.open(memberPaths(dataDir, '').walDir, { index: 1, term: 1 }, { unsafeNoFsync: true });
  await wal.close();
  return read;
}

function change(transition: ConfChangeTransition, ...changes: Array<[ConfChangeType, bigint]>): ConfChangeV2 {
  return { transition, changes: changes.map(([type, nodeId]) => ({ type, nodeId })), context: new Uint8Array(0) };
}

test('forceNewCluster leaves the joint config, removes the others, drops the uncommitted tail; idempotent', async () => {
  const dataDir = await newDataDir();
  try {
    // Committed: enter a joint config replacing c by d. Uncommitted: one normal entry.
    const { wal } = await Wal.open(memberPaths(dataDir, '').walDir, { index: 1, term: 1 }, { unsafeNoFsync: true });
    const joint = change(ConfChangeTransition.JointImplicit,
      [ConfChangeType.AddNode, D], [ConfChangeType.RemoveNode, ID(2)]);
    await wal.save({ term: 2, vote: ID(0), commit: 2 }, [
      { index: 2, term: 2, type: EntryType.ConfChangeV2, data: encodeConfChangeV2(joint) },
      { index: 3, term: 2, type: EntryType.Normal, data: new Uint8Array([1]) },
    ], true);
    await wal.close();

    const result = await forceNewCluster(dataDir, { unsafeNoFsync: true });
    assert.equal(result.memberId, ID(0));
    assert.equal(result.discardedEntries, 1);
    assert.equal(result.appendedEntries, 3);
    assert.equal(result.commitIndex, 5);
    assert.deepEqual(new Set(result.removedIds), new Set([ID(1), D]));
    const read = await readWal(dataDir);
    assert.deepEqual(read.hardState, { term: 2, vote: ID(0), commit: 5 });
    const appended = read.entries.filter((e) => e.index > 2);
    assert.deepEqual(appended.map((e) => [e.index, e.term, e.type]), [[3, 2, 2], [4, 2, 2], [5, 2, 2]]);
    const changes = appended.map((e) => decodeConfChangeV2(e.data).changes.map((c) => [c.type, c.nodeId]));
    assert.deepEqual(changes[0], [], 'first leaves the joint configuration');
    assert.deepEqual(new Set(changes.slice(1).map((c) => c[0]![1])), new Set([ID(1), D]));
    assert.ok(changes.slice(1).every((c) => c.length === 1 && c[0]![0] === ConfChangeType.RemoveNode));

    const again = await forceNewCluster(dataDir, { unsafeNoFsync: true });
    assert.equal(again.appendedEntries, 0);
    assert.equal(again.commitIndex, 5);
  } finally {
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  }
});

test('forceNewCluster refuses a data dir without a WAL and a member outside the configuration', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'tetcd-fnc-'));
  const dataDir = await newDataDir();
  try {
    await assert.rejects(forceNewCluster(empty), BootstrapError);
    // Remove this member (a) itself, committed: it can no longer force a cluster of its own.
    const { wal } = await Wal.open(memberPaths(dataDir, '').walDir, { index: 1, term: 1 }, { unsafeNoFsync: true });
    const removeSelf = change(ConfChangeTransition.Auto, [ConfChangeType.RemoveNode, ID(0)]);
    await wal.save({ term: 2, vote: 0n, commit: 2 },
      [{ index: 2, term: 2, type: EntryType.ConfChangeV2, data: encodeConfChangeV2(removeSelf) }], true);
    await wal.close();
    await assert.rejects(forceNewCluster(dataDir), /not in the cluster configuration/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  }
});

test('forceNewCluster counts entries the backend applied as committed, refuses a backend ahead of the log', async () => {
  const dataDir = await newDataDir();
  const setConsistentIndex = async (index: number): Promise<void> => {
    const backend = await Backend.open(memberPaths(dataDir, '').dbPath);
    backend.put('meta', META_CONSISTENT_INDEX, encodeUint64(index));
    await backend.close();
  };
  try {
    const { wal } = await Wal.open(memberPaths(dataDir, '').walDir, { index: 1, term: 1 }, { unsafeNoFsync: true });
    await wal.save({ term: 2, vote: 0n, commit: 1 }, [2, 3, 4].map((index) => (
      { index, term: 2, type: EntryType.Normal, data: new Uint8Array([index]) })), true);
    await wal.close();
    await setConsistentIndex(9);
    await assert.rejects(forceNewCluster(dataDir, { unsafeNoFsync: true }), /ahead of the log/);
    await setConsistentIndex(3);
    const result = await forceNewCluster(dataDir, { unsafeNoFsync: true });
    assert.equal(result.discardedEntries, 1, 'entry 4 was never committed');
    assert.equal(result.commitIndex, 3 + 2);
    const read = await readWal(dataDir);
    assert.deepEqual(read.entries.map((e) => e.type), [EntryType.Normal, EntryType.Normal, 2, 2]);
  } finally {
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  }
});
