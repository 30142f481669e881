/**
 * Corruption checks on a 3-member tetcd cluster (issue 6): one byte of a stored value is flipped in a
 * stopped follower's backend file. Restarted with --experimental-initial-corrupt-check, the follower
 * refuses to start ("found data inconsistency with peers"); restarted without it, the leader's periodic
 * check (--experimental-corrupt-check-time) raises a CORRUPT alarm for exactly that member, after which
 * data requests fail with etcd's "etcdserver: corrupt cluster".
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Cluster, waitFor, withClusterLogs } from '../helpers/cluster.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { waitForEqualHashes } from './load.js';

const CANARY = 'CANARY-VALUE-7f3a9c21e5b4d08';
const CHECK_INTERVAL = '1s';
const ALARM_TIMEOUT_MS = 30_000;

let cluster: Cluster | undefined;
after(async () => {
  await cluster?.cleanup();
});

/** Flips the low bit of the canary's first byte at every place it occurs in `file`; returns the count. */
function flipCanary(file: string): number {
  const bytes = readFileSync(file);
  const needle = Buffer.from(CANARY);
  let count = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
    bytes[at] = bytes[at]! ^ 0x01;
    count += 1;
  }
  writeFileSync(file, bytes);
  return count;
}

test('a flipped byte in a follower is caught by the initial and the periodic corruption checks',
  { timeout: 180_000 }, async () => {
    cluster = await Cluster.start({ kind: 'tetcd', extraArgs: [`--experimental-corrupt-check-time=${CHECK_INTERVAL}`] });
    const c = cluster;
    await withClusterLogs([c], async () => {
      await c.refreshIds();
      for (let i = 0; i < 20; i++) {
        const put = await runEtcdctl(c.endpoints(), ['put', `corrupt/k${i}`, i === 7 ? CANARY : `value-${i}`]);
        assert.equal(put.exitCode, 0, put.stderr);
      }
      await waitForEqualHashes(c, 30_000);
      const victim = (await c.followers())[0]!;
      await victim.stop();
      const flipped = flipCanary(join(victim.dataDir, 'member', 'snap', 'db'));
      assert.ok(flipped > 0, 'the canary value was not found in the backend file');

      victim.spec.extraArgs = [...victim.spec.extraArgs, '--experimental-initial-corrupt-check'];
      victim.spawnProcess();
      await victim.waitForLog('found data inconsistency with peers', 30_000, true);
      await victim.waitExit(10_000);
      assert.doesNotMatch(victim.logSinceStart(), /ready to serve client requests/, 'a corrupt member must not serve');

      victim.spec.extraArgs = victim.spec.extraArgs.filter((a) => a !== '--experimental-initial-corrupt-check');
      await victim.start();
      const alarm = await waitFor('a CORRUPT alarm', ALARM_TIMEOUT_MS, async () => {
        const list = await runEtcdctl(c.endpoints(), ['alarm', 'list']);
        return list.stdout.includes('alarm:CORRUPT') ? list.stdout : undefined;
      });
      assert.equal(alarm, `memberID:${victim.id!.toString()} alarm:CORRUPT \n`, 'the alarm must name the corrupted member');
      const put = await runEtcdctl(c.endpoints(), ['put', 'corrupt/after', 'x']);
      assert.notEqual(put.exitCode, 0);
      assert.match(put.stderr, /etcdserver: corrupt cluster/);
    });
  });
