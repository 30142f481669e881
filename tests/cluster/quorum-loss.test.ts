/**
 * Quorum loss: in a 3-member cluster stop the leader and one follower (SIGTERM). On the surviving
 * follower a put and a linearizable get must fail exactly as they do on real etcd in the same scenario
 * (same etcdctl exit code and normalised stderr), while a serializable get still answers. Then both
 * members restart: the cluster converges (hashkv equal) and no acknowledged write is lost.
 * Runs the scenario on a real etcd cluster and on the subject cluster in parallel and prints what
 * each printed.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { requireOracleBinaries } from '../helpers/binaries.js';
import { Cluster, waitFor, withClusterLogs, type ClusterMember } from '../helpers/cluster.js';
import { runEtcdctl, type EtcdctlResult } from '../helpers/etcdctl.js';
import { subjectKind } from '../helpers/oracle.js';
import { assertClusterHashesEqual } from './checks.js';
import { normaliseClusterOutput } from './cluster-normalise.js';
import { WriteLoad, waitForEqualHashes, waitForKeys } from './load.js';

const PREFIX = 'quorum/';
/** etcdctl's per-command deadline while quorum is lost (below etcd's 7 s server request timeout). */
const COMMAND_TIMEOUT = '--command-timeout=3s';
const CONVERGE_TIMEOUT_MS = 60_000;

const clusters: Array<Cluster | undefined> = [];
after(async () => {
  await Promise.all(clusters.map((c) => c?.cleanup()));
});

interface Outcome {
  put: EtcdctlResult;
  linearizableGet: EtcdctlResult;
  serializableGet: EtcdctlResult;
  ackedKey: string;
  ackedValue: string;
}

/** Waits until `member` itself no longer reports any leader. */
async function waitLeaderless(cluster: Cluster, member: ClusterMember): Promise<void> {
  await waitFor(`${member.name} to lose its leader`, 30_000, async () => {
    const [status] = await cluster.statuses([member]);
    return status !== undefined && status.leaderId === 0n ? true : undefined;
  });
}

async function scenario(cluster: Cluster): Promise<Outcome> {
  await cluster.refreshIds();
  const load = new WriteLoad(PREFIX, 2, () => cluster.running());
  load.start();
  await load.waitForMoreAcks(100, 30_000).finally(() => load.stop());
  const leader = await cluster.leader();
  const [survivor, other] = cluster.members.filter((m) => m !== leader);
  assert.ok(survivor !== undefined && other !== undefined);
  await Promise.all([leader.stop(), other.stop()]);
  await waitLeaderless(cluster, survivor);

  const [ackedKey, ackedValue] = [...load.acked][0]!;
  const put = await runEtcdctl(survivor.endpoint, ['put', `${PREFIX}during-loss`, 'x', COMMAND_TIMEOUT]);
  const linearizableGet = await runEtcdctl(survivor.endpoint, ['get', ackedKey, COMMAND_TIMEOUT]);
  const serializableGet = await runEtcdctl(survivor.endpoint, ['get', ackedKey, '--consistency=s', COMMAND_TIMEOUT]);

  await Promise.all([leader.restart(), other.restart()]);
  await cluster.waitForLeader();
  for (const member of cluster.members) await waitForKeys(member, PREFIX, load.acked, CONVERGE_TIMEOUT_MS);
  await waitForEqualHashes(cluster, CONVERGE_TIMEOUT_MS);
  return { put, linearizableGet, serializableGet, ackedKey, ackedValue };
}

/**
 * The surviving member may have a different name in each cluster. A deadline is reported by real etcd
 * either as the client's own DeadlineExceeded or as the server's propagated context error (code
 * Unknown), depending on which side notices first; both forms become `<context deadline exceeded>`.
 */
function sameSurvivor(text: string): string {
  return text.replace(/<m\d+-client>/g, '<survivor-client>')
    .replace(/rpc error: code = (?:Unknown|DeadlineExceeded) desc = context deadline exceeded/g, '<context deadline exceeded>')
    .replace(/^Error: context deadline exceeded$/gm, 'Error: <context deadline exceeded>');
}

function describe(label: string, res: EtcdctlResult): string {
  return `${label}: exit ${res.exitCode}\n  stdout: ${JSON.stringify(res.stdout)}\n  stderr: ${JSON.stringify(res.stderr)}`;
}

async function startAndRun(kind: 'etcd' | 'tetcd', slot: number): Promise<{ cluster: Cluster; outcome: Outcome }> {
  const cluster = await Cluster.start({ kind });
  clusters[slot] = cluster;
  const outcome = await withClusterLogs([cluster], () => scenario(cluster));
  return { cluster, outcome };
}

test('losing quorum: writes and linearizable reads fail like etcd, serializable reads answer, recovery converges',
  { timeout: 240_000 }, async () => {
    requireOracleBinaries();
    const [oracle, subject] = await Promise.all([startAndRun('etcd', 0), startAndRun(subjectKind(), 1)]);
    for (const { cluster, outcome } of [oracle, subject]) {
      console.log(`${cluster.kind} on the survivor:\n${describe('put', outcome.put)}\n` +
        `${describe('linearizable get', outcome.linearizableGet)}\n${describe('serializable get', outcome.serializableGet)}`);
    }
    const s = subject.outcome;
    assert.notEqual(s.put.exitCode, 0, 'put without quorum must fail');
    assert.notEqual(s.linearizableGet.exitCode, 0, 'linearizable get without quorum must fail');
    assert.equal(s.serializableGet.exitCode, 0, `serializable get must answer: ${s.serializableGet.stderr}`);
    assert.equal(s.serializableGet.stdout, `${s.ackedKey}\n${s.ackedValue}\n`);
    for (const field of ['put', 'linearizableGet'] as const) {
      const expected = sameSurvivor(normaliseClusterOutput(oracle.outcome[field].stderr, oracle.cluster));
      const actual = sameSurvivor(normaliseClusterOutput(s[field].stderr, subject.cluster));
      assert.equal(actual, expected, `${field}: stderr differs from etcd's`);
      assert.equal(s[field].exitCode, oracle.outcome[field].exitCode, `${field}: exit code differs from etcd's`);
    }
    const via = subject.cluster.members[0]!;
    await withClusterLogs([subject.cluster], () => assertClusterHashesEqual(subject.cluster, via, 3));
  });
