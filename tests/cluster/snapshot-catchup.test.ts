/**
 * Snapshot catch-up: a 3-member cluster with --snapshot-count 1000; one follower is stopped, 20,000
 * keys are written (txns of 3 puts, many in flight, so the leader snapshots and compacts its log
 * past the follower's index), then the follower restarts. It must install a snapshot from the leader
 * (its log says so), then serve every key, and hashkv must agree on all members.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Cluster, withClusterLogs, type ClusterMember } from '../helpers/cluster.js';
import { createKvClient } from '../helpers/grpc-client.js';
import { subjectKind } from '../helpers/oracle.js';
import { assertClusterHashesEqual } from './checks.js';
import { waitForEqualHashes, waitForKeys } from './load.js';

const PREFIX = 'snap/';
const KEYS = Number(process.env['SNAPSHOT_KEYS'] ?? 20_000);
const SNAPSHOT_COUNT = 1_000;
/**
 * Keys per write (a txn of puts): 20,000 keys make ~6,700 raft entries, enough for the leader to
 * snapshot at ~6,000 and compact its log to ~1,000 (it keeps 5,000 entries for slow followers), so the
 * stopped follower can only catch up from a snapshot.
 */
const KEYS_PER_TXN = 3;
/** Writes in flight at once. */
const CONCURRENCY = 64;
/** Writing all keys must fit in this (the file should stay under ~2 minutes). */
const WRITE_BUDGET_MS = 90_000;
const CATCHUP_TIMEOUT_MS = 60_000;
/** What each server logs when a follower installs the leader's snapshot. */
const SNAPSHOT_LOG = { tetcd: 'applying snapshot from leader', etcd: 'applying snapshot at index' } as const;

let cluster: Cluster | undefined;
after(async () => {
  await cluster?.cleanup();
});

/** Writes KEYS keys through `leader`, CONCURRENCY txns at a time; returns key → value (all acknowledged). */
async function writeKeys(leader: ClusterMember): Promise<Map<string, string>> {
  const client = createKvClient(leader.endpoint, 20_000);
  const written = new Map<string, string>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < KEYS) {
      const batch: Array<[string, string]> = [];
      for (; batch.length < KEYS_PER_TXN && next < KEYS; next++) {
        batch.push([`${PREFIX}${String(next).padStart(6, '0')}`, `value-${next}`]);
      }
      const success = batch.map(([key, value]) =>
        ({ request_put: { key: Buffer.from(key), value: Buffer.from(value) } }));
      await client.kv.txn({ compare: [], success, failure: [] });
      for (const [key, value] of batch) written.set(key, value);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
  } finally {
    client.close();
  }
  return written;
}

test(`a follower that missed ${KEYS} writes catches up from a snapshot`, { timeout: 240_000 }, async () => {
  const c = await Cluster.start({ kind: subjectKind(), snapshotCount: SNAPSHOT_COUNT });
  cluster = c;
  await withClusterLogs([c], async () => {
    const leader = await c.leader();
    const lagging = c.members.find((m) => m !== leader)!;
    await lagging.stop();
    const startMs = Date.now();
    const written = await writeKeys(leader);
    const writeMs = Date.now() - startMs;
    console.log(`${c.kind}: wrote ${written.size} keys in ${writeMs} ms`);
    await lagging.restart();
    await lagging.waitForLog(SNAPSHOT_LOG[c.kind], CATCHUP_TIMEOUT_MS);
    for (const member of c.members) await waitForKeys(member, PREFIX, written, CATCHUP_TIMEOUT_MS);
    await waitForEqualHashes(c, CATCHUP_TIMEOUT_MS);
    assert.ok(writeMs <= WRITE_BUDGET_MS, `writing ${KEYS} keys took ${writeMs} ms (budget ${WRITE_BUDGET_MS} ms)`);
    await assertClusterHashesEqual(c, leader, 3);
  });
});
