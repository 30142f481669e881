/**
 * `--force-new-cluster` (etcd semantics): a 3-member cluster with data is stopped; one member restarted
 * with the flag serves all the data alone as a one-member cluster (member list shows only it), takes
 * writes, and a new member added afterwards catches up. An old member restarted on its old data dir must
 * not rejoin silently: it is refused as removed and exits, and the membership stays unchanged.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Cluster, withClusterLogs } from '../helpers/cluster.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { subjectKind } from '../helpers/oracle.js';
import { memberNames } from './checks.js';
import { WriteLoad, waitForEqualHashes, waitForKeys } from './load.js';

const PREFIX = 'fnc/';
const WRITERS = 2;
const WRITES_MIN = 150;
const TIMEOUT_MS = 60_000;
/** How long an old member restarted on its old data dir may take to be refused and exit. */
const OLD_MEMBER_EXIT_TIMEOUT_MS = 30_000;

let cluster: Cluster | undefined;
let load: WriteLoad | undefined;
after(async () => {
  await load?.stop();
  await cluster?.cleanup();
});

test('--force-new-cluster keeps the data and makes a one-member cluster that can grow again', { timeout: 240_000 },
  async () => {
    const c = await Cluster.start({ kind: subjectKind() });
    cluster = c;
    await withClusterLogs([c], async () => {
      await c.refreshIds();
      const w = new WriteLoad(PREFIX, WRITERS, () => c.running());
      load = w;
      w.start();
      await w.waitForMoreAcks(WRITES_MIN, TIMEOUT_MS);
      await w.stop();
      await Promise.all(c.members.map((m) => m.stop()));

      const [survivor, old] = [c.members[0]!, c.members[1]!];
      survivor.spec.extraArgs = [...survivor.spec.extraArgs, '--force-new-cluster'];
      await survivor.restart();
      await c.waitForLeader(TIMEOUT_MS, () => [survivor]);
      await waitForKeys(survivor, PREFIX, w.acked, TIMEOUT_MS);
      assert.deepEqual(await memberNames(survivor), [survivor.name]);
      const put = await runEtcdctl(survivor.endpoint, ['put', `${PREFIX}after`, 'alone']);
      assert.equal(put.exitCode, 0, `put on the forced member: ${put.stderr}`);

      const { member: added } = await c.addMember();
      const expected = new Map([...w.acked, [`${PREFIX}after`, 'alone']]);
      await waitForKeys(added, PREFIX, expected, TIMEOUT_MS);
      await waitForEqualHashes(c, TIMEOUT_MS);
      assert.deepEqual(await memberNames(added), [survivor.name, added.name].sort());

      // An old member on its old data dir is refused as removed (as etcd does) and stops.
      old.spawnProcess();
      await old.waitExit(OLD_MEMBER_EXIT_TIMEOUT_MS);
      assert.match(old.logSinceStart(), /removed/, `old member log:\n${old.logTail()}`);
      assert.deepEqual(await memberNames(survivor), [survivor.name, added.name].sort());
    });
  });
