/**
 * Lease checkpoints (--experimental-enable-lease-checkpoint) on a 3-member tetcd cluster: the leader
 * proposes remaining TTLs every checkpoint interval, so when it dies the new leader continues from the
 * checkpointed remainder instead of granting the full TTL again (etcd's fix for leases that never expire
 * under repeated leader changes). Without the flag a leader change resets the TTL, as in etcd.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Cluster, delay, waitFor, withClusterLogs } from '../helpers/cluster.js';
import { runEtcdctl } from '../helpers/etcdctl.js';

const TTL_SECONDS = 60;
const CHECKPOINT_INTERVAL = '1s';
/** Time the lease runs down before the leader is stopped: several checkpoint intervals. */
const RUN_DOWN_MS = 6_000;

const clusters: Cluster[] = [];
after(async () => {
  await Promise.all(clusters.map((c) => c.cleanup()));
});

async function remainingAfterLeaderChange(checkpoints: boolean): Promise<number> {
  const extraArgs = checkpoints
    ? ['--experimental-enable-lease-checkpoint', `--experimental-lease-checkpoint-interval=${CHECKPOINT_INTERVAL}`] : [];
  const cluster = await Cluster.start({ kind: 'tetcd', extraArgs });
  clusters.push(cluster);
  return withClusterLogs([cluster], async () => {
    const grant = await runEtcdctl(cluster.endpoints(), ['lease', 'grant', String(TTL_SECONDS)]);
    assert.equal(grant.exitCode, 0, grant.stderr);
    const id = /^lease ([0-9a-f]+) granted/.exec(grant.stdout)?.[1];
    assert.ok(id !== undefined, grant.stdout);
    await delay(RUN_DOWN_MS);
    const leader = await cluster.leader();
    await leader.stop();
    await cluster.waitForLeader();
    const survivors = cluster.endpoints();
    return waitFor('lease time-to-live from the new leader', 20_000, async () => {
      const ttl = await runEtcdctl(survivors, ['lease', 'timetolive', id]);
      const remaining = /remaining\((-?\d+)s\)/.exec(ttl.stdout)?.[1];
      return remaining === undefined ? undefined : Number(remaining);
    });
  });
}

test('with lease checkpoints a new leader continues the remaining TTL; without them it restarts it',
  { timeout: 180_000 }, async () => {
    const [withCheckpoints, without] = await Promise.all(
      [remainingAfterLeaderChange(true), remainingAfterLeaderChange(false)]);
    console.log(`remaining TTL after a leader change: ${withCheckpoints}s with checkpoints, ${without}s without`);
    const ranDownSeconds = RUN_DOWN_MS / 1000;
    assert.ok(withCheckpoints <= TTL_SECONDS - ranDownSeconds + 3,
      `with checkpoints the TTL must keep running down, got ${withCheckpoints}s of ${TTL_SECONDS}s`);
    assert.ok(without >= TTL_SECONDS - 2, `without checkpoints a new leader restarts the TTL, got ${without}s`);
  });
