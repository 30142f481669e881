/**
 * Membership commands: the same etcdctl sequence (member list/add/promote/update/remove, endpoint
 * status/health --cluster, move-leader) runs against a 3-member real etcd cluster and a 3-member tetcd
 * cluster; the normalised transcripts (tests/cluster/cluster-normalise.ts) must be identical.
 * Members are always addressed through m1's endpoint so etcdctl's choice of endpoint is deterministic,
 * and leadership is first moved to m1 in both clusters so IS LEADER columns line up.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { requireOracleBinaries } from '../helpers/binaries.js';
import { Cluster, waitFor, withClusterLogs, type ClusterMember } from '../helpers/cluster.js';
import { lineDiff } from '../helpers/diff.js';
import { runEtcdctl, type EtcdctlResult } from '../helpers/etcdctl.js';
import { subjectKind } from '../helpers/oracle.js';
import { idsSorted, normaliseClusterOutput } from './cluster-normalise.js';

/** Time a learner gets to catch up before `member promote` must succeed. */
const PROMOTE_TIMEOUT_MS = 30_000;
/** Time a removed member gets to notice and exit. */
const REMOVED_EXIT_TIMEOUT_MS = 30_000;
const NOT_IN_SYNC = 'etcdserver: can only promote a learner member which is in sync with leader';

const clusters: Array<Cluster | undefined> = [];
after(async () => {
  await Promise.all(clusters.map((c) => c?.cleanup()));
});

/** Records normalised etcdctl results of one cluster, plus structural problems found on the way. */
class Transcript {
  readonly text: string[] = [];
  readonly problems: string[] = [];

  constructor(readonly cluster: Cluster) {}

  async run(label: string, args: readonly string[], via: ClusterMember = this.cluster.member('m1')): Promise<EtcdctlResult> {
    const res = await runEtcdctl(via.endpoint, args);
    this.record(label, args, res);
    return res;
  }

  record(label: string, args: readonly string[], res: EtcdctlResult): void {
    const out = normaliseClusterOutput(res.stdout, this.cluster);
    const err = normaliseClusterOutput(res.stderr, this.cluster);
    const command = normaliseClusterOutput(args.join(' '), this.cluster);
    this.text.push(`### ${label}: etcdctl ${command.trim()} (exit ${res.exitCode})`, out, '--- stderr:', err);
    if (args[0] === 'member' && args[1] === 'list' && !args.includes('json') && !idsSorted(res.stdout)) {
      this.problems.push(`${this.cluster.kind}: ${label}: rows not sorted by member id:\n${res.stdout}`);
    }
  }
}

function hexId(member: ClusterMember): string {
  assert(member.id !== undefined, `${member.name} id unknown`);
  return member.id.toString(16);
}

/** Moves leadership to `target` (unrecorded) and waits until every running member agrees. */
async function makeLeader(cluster: Cluster, target: ClusterMember): Promise<void> {
  await waitFor(`${target.name} to lead`, 30_000, async () => {
    const leader = await cluster.leader();
    if (leader === target) return true;
    await runEtcdctl(leader.endpoint, ['move-leader', hexId(target)]);
    return undefined;
  });
}

async function promoteWhenInSync(t: Transcript, learner: ClusterMember): Promise<void> {
  const args = ['member', 'promote', hexId(learner)];
  const first = await runEtcdctl(t.cluster.member('m1').endpoint, args);
  if (first.exitCode !== 0) {
    if (!first.stderr.includes(NOT_IN_SYNC)) t.problems.push(`${t.cluster.kind}: early promote: ${first.stderr}`);
    const done = await waitFor('learner promotion', PROMOTE_TIMEOUT_MS, async () => {
      const res = await runEtcdctl(t.cluster.member('m1').endpoint, args);
      if (res.exitCode === 0) return res;
      if (!res.stderr.includes(NOT_IN_SYNC)) throw new Error(`promote failed: ${res.stderr}`);
      return undefined;
    });
    t.record('promote learner m4', args, done);
  } else {
    t.record('promote learner m4', args, first);
  }
}

async function scenario(cluster: Cluster): Promise<Transcript> {
  const t = new Transcript(cluster);
  const [m1, m2] = [cluster.member('m1'), cluster.member('m2')];
  await cluster.refreshIds();
  await makeLeader(cluster, m1);
  await t.run('list', ['member', 'list']);
  await t.run('list table', ['member', 'list', '-w', 'table']);
  await t.run('list json', ['member', 'list', '-w', 'json']);
  await t.run('status table', ['endpoint', 'status', '--cluster', '-w', 'table']);
  await t.run('status json', ['endpoint', 'status', '--cluster', '-w', 'json']);
  await t.run('health', ['endpoint', 'health', '--cluster']);
  await t.run('move-leader m1->m2', ['move-leader', hexId(m2)]);
  await waitFor('m2 to lead', 20_000, async () => (await cluster.leader()) === m2 ? true : undefined);
  await t.run('status table after move', ['endpoint', 'status', '--cluster', '-w', 'table']);
  await t.run('move-leader without leader endpoint', ['move-leader', hexId(m1)]);
  await t.run('move-leader m2->m1', ['move-leader', hexId(m1)], m2);
  await waitFor('m1 to lead', 20_000, async () => (await cluster.leader()) === m1 ? true : undefined);
  await t.run('move-leader to unknown id', ['move-leader', 'abcdef12345']);

  const learner = await cluster.addMember({ learner: true, start: false });
  t.record('add learner m4', ['member', 'add', 'm4', '--peer-urls=<m4-peer>', '--learner'],
    { stdout: learner.addOutput, stderr: '', exitCode: 0 });
  await t.run('list with unstarted learner', ['member', 'list', '-w', 'table']);
  await learner.member.start();
  await promoteWhenInSync(t, learner.member);
  await t.run('promote voter', ['member', 'promote', hexId(learner.member)]);
  await t.run('list after promote', ['member', 'list', '-w', 'table']);

  const voter = await cluster.addMember({ start: false });
  t.record('add voter m5', ['member', 'add', 'm5', '--peer-urls=<m5-peer>'], { stdout: voter.addOutput, stderr: '', exitCode: 0 });
  await voter.member.start();
  await t.run('list 5', ['member', 'list', '-w', 'json']);
  await t.run('status 5', ['endpoint', 'status', '--cluster', '-w', 'table']);
  await t.run('update m5', ['member', 'update', hexId(voter.member), `--peer-urls=${voter.member.peerUrl}`]);
  await t.run('update unknown', ['member', 'update', 'abcdef12345', `--peer-urls=${voter.member.peerUrl}`]);
  await t.run('promote unknown', ['member', 'promote', 'abcdef12345']);
  await t.run('remove m5', ['member', 'remove', hexId(voter.member)]);
  await voter.member.waitExit(REMOVED_EXIT_TIMEOUT_MS).catch((error: Error) => {
    t.problems.push(`${cluster.kind}: removed member m5 did not exit: ${error.message}`);
  });
  await t.run('remove m5 again', ['member', 'remove', hexId(voter.member)]);
  await t.run('list after remove', ['member', 'list', '-w', 'table']);
  await t.run('status after remove', ['endpoint', 'status', '--cluster', '-w', 'json']);
  await t.run('health after remove', ['endpoint', 'health', '--cluster']);
  return t;
}

async function startAndRun(kind: 'etcd' | 'tetcd', slot: number): Promise<Transcript> {
  const cluster = await Cluster.start({ kind });
  clusters[slot] = cluster;
  return withClusterLogs([cluster], () => scenario(cluster));
}

test('membership commands on a 3-member cluster match real etcd', { timeout: 240_000 }, async () => {
  requireOracleBinaries();
  const [oracle, subject] = await Promise.all([startAndRun('etcd', 0), startAndRun(subjectKind(), 1)]);
  const diff = lineDiff(oracle.text.join('\n'), subject.text.join('\n'), 'etcd', subjectKind());
  const problems = [...oracle.problems, ...subject.problems];
  if (process.env['E2E_VERBOSE'] === '1') console.log(subject.text.join('\n'));
  const report = [...problems, ...(diff === '' ? [] : [`normalised transcripts differ:\n${diff}`])];
  assert.deepEqual(report, [], report.join('\n'));
});
