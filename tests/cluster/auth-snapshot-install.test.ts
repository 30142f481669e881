/**
 * Auth state through a follower snapshot install (issue 8): a 3-member cluster with --snapshot-count
 * 100; one follower is stopped before any auth change, then users, roles, permissions and `auth enable`
 * are applied and enough writes pass for the leader to snapshot and compact its log past the follower
 * (it keeps 5,000 entries), so the follower can only learn the auth state from the snapshot it installs.
 * It must then authenticate users and enforce permissions exactly like the leader, on serializable
 * reads answered from its own state.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { EtcdClient } from '../../src/client/index.js';
import { Cluster, withClusterLogs, type ClusterMember } from '../helpers/cluster.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { subjectKind } from '../helpers/oracle.js';

const SNAPSHOT_COUNT = 100;
/** Entries past the leader's retained log (5,000 after a snapshot) plus a few snapshots' worth. */
const WRITES = 5_600;
const CONCURRENCY = 64;
const CATCHUP_TIMEOUT_MS = 60_000;
const SNAPSHOT_LOG = { tetcd: 'applying snapshot from leader', etcd: 'applying snapshot at index' } as const;

let cluster: Cluster | undefined;
after(async () => {
  await cluster?.cleanup();
});

async function ctlOk(endpoint: string, args: string[]): Promise<void> {
  const result = await runEtcdctl(endpoint, args);
  assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`);
}

/** stdout plus the `Error:` lines of etcdctl (client retry logs carry ids and times). */
async function ctl(endpoint: string, args: string[]): Promise<string> {
  const result = await runEtcdctl(endpoint, args);
  return `${result.stdout}${result.stderr.split('\n').filter((l) => l.startsWith('Error')).join('\n')}`;
}

async function setUpAuth(endpoint: string): Promise<void> {
  for (const args of [
    ['user', 'add', 'root', '--new-user-password=rootpw'], ['user', 'grant-role', 'root', 'root'],
    ['user', 'add', 'alice', '--new-user-password=apw'], ['role', 'add', 'app'],
    ['role', 'grant-permission', 'app', 'readwrite', '/a/', '--prefix'], ['user', 'grant-role', 'alice', 'app'],
    ['user', 'add', 'bob', '--new-user-password=bpw'], ['role', 'add', 'reader'],
    ['role', 'grant-permission', 'reader', 'read', '/b/', '--prefix'], ['user', 'grant-role', 'bob', 'reader'],
    ['auth', 'enable'],
    ['--user', 'alice:apw', 'put', '/a/x', 'from-alice'], ['--user', 'root:rootpw', 'put', '/b/y', 'from-root'],
  ]) await ctlOk(endpoint, args);
}

async function writeMany(leader: ClusterMember): Promise<void> {
  const client = new EtcdClient({ endpoints: [leader.endpoint], auth: { name: 'root', password: 'rootpw' } });
  await client.dial();
  let next = 0;
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < WRITES) {
        const i = next++;
        await client.put({ key: Buffer.from(`/load/${i % 500}`), value: Buffer.from(`v${i}`) });
      }
    }));
  } finally {
    client.close();
  }
}

/** What each user sees and may do, answered by `endpoint` alone (serializable reads). */
async function authView(endpoint: string): Promise<string[]> {
  const s = '--consistency=s';
  return Promise.all([
    ctl(endpoint, ['--user', 'alice:apw', 'get', '/a/x', s]),
    ctl(endpoint, ['--user', 'alice:apw', 'get', '/b/y', s]),
    ctl(endpoint, ['--user', 'bob:bpw', 'get', '/b/y', s]),
    ctl(endpoint, ['--user', 'bob:bpw', 'get', '/a/x', s]),
    ctl(endpoint, ['--user', 'alice:wrong', 'get', '/a/x', s]),
    ctl(endpoint, ['get', '/a/x', s]),
    ctl(endpoint, ['--user', 'root:rootpw', 'user', 'list']),
    ctl(endpoint, ['--user', 'root:rootpw', 'role', 'get', 'reader']),
    ctl(endpoint, ['--user', 'root:rootpw', 'get', '/load/7', s]),
    ctl(endpoint, ['--user', 'bob:bpw', 'put', '/b/z', '1']),
  ]);
}

test('a follower that installs a snapshot enforces auth exactly like the leader', { timeout: 240_000 }, async () => {
  const c = await Cluster.start({ kind: subjectKind(), size: 3, snapshotCount: SNAPSHOT_COUNT,
    extraArgs: ['--bcrypt-cost', '4'] });
  cluster = c;
  await withClusterLogs([c], async () => {
    const leader = await c.leader();
    const lagging = c.members.find((m) => m !== leader)!;
    await lagging.stop();
    await setUpAuth(leader.endpoint);
    const startMs = Date.now();
    await writeMany(leader);
    console.log(`${c.kind}: ${WRITES} authenticated writes in ${Date.now() - startMs} ms`);
    await lagging.restart();
    await lagging.waitForLog(SNAPSHOT_LOG[c.kind], CATCHUP_TIMEOUT_MS);
    // Serializable reads answer from the follower's own (snapshot-installed) state once it has applied the writes.
    const expected = await authView(leader.endpoint);
    assert.match(expected[0]!, /from-alice/);
    assert.match(expected[1]!, /permission denied/);
    assert.match(expected[3]!, /permission denied/);
    assert.match(expected[4]!, /authentication failed/);
    assert.match(expected[5]!, /user name is empty|permission denied/);
    assert.match(expected[9]!, /permission denied/);
    const deadline = Date.now() + CATCHUP_TIMEOUT_MS;
    let actual = await authView(lagging.endpoint);
    while (actual[8] !== expected[8] && Date.now() < deadline) actual = await authView(lagging.endpoint);
    assert.deepEqual(actual, expected);
  });
});
