/**
 * /metrics scraped during load on a 3-member cluster, run side by side on real etcd 3.4 and the subject
 * (E2E_SUBJECT, tetcd by default): WAL fsync histogram counts, committed proposals, peer bytes and gRPC
 * counters grow with writes; killing the leader raises etcd_server_leader_changes_seen_total on the
 * survivors; after quorum loss the survivor reports has_leader 0 and /health answers 503 with health
 * false on both (tetcd adds etcd 3.5's reason "RAFT NO LEADER").
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { requireOracleBinaries } from '../helpers/binaries.js';
import { Cluster, waitFor, type ClusterMember } from '../helpers/cluster.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { subjectKind } from '../helpers/oracle.js';

const GATEWAY_PUTS = 40;
const GRPC_PUTS = 2;
const LEADERLESS_TIMEOUT_MS = 20_000;
const LEADER_SEEN_TIMEOUT_MS = 10_000;

const clusters: Cluster[] = [];
after(async () => { await Promise.all(clusters.map((c) => c.cleanup())); });

/** Sum of the samples of `name` (any labels) in the member's /metrics, 0 if absent. */
async function scrape(member: ClusterMember, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${member.clientUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{')) || !rest.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

interface Outcome {
  grew: Record<string, [number, number]>;
  leaderChanges: Array<[number, number]>;
  health: { status: number; body: Record<string, string> };
}

async function scenario(cluster: Cluster): Promise<Outcome> {
  const leader = await cluster.leader();
  const counters = {
    fsyncs: () => scrape(leader, 'etcd_disk_wal_fsync_duration_seconds_count'),
    committed: () => scrape(leader, 'etcd_server_proposals_committed_total'),
    peerSent: () => scrape(leader, 'etcd_network_peer_sent_bytes_total'),
    grpcPutOk: () => scrape(leader, 'grpc_server_handled_total', 'grpc_method="Put"'),
  };
  const before = Object.fromEntries(await Promise.all(Object.entries(counters).map(async ([k, f]) => [k, await f()])));
  for (let i = 0; i < GATEWAY_PUTS; i++) {
    const body = JSON.stringify({ key: Buffer.from(`load/${i}`).toString('base64'), value: 'dmFsdWU=' });
    assert.equal((await fetch(`${leader.clientUrl}/v3/kv/put`, { method: 'POST', body })).status, 200);
  }
  for (let i = 0; i < GRPC_PUTS; i++) assert.equal((await runEtcdctl(leader.endpoint, ['put', `grpc/${i}`, 'v'])).exitCode, 0);
  const grew: Record<string, [number, number]> = {};
  for (const [key, read] of Object.entries(counters)) grew[key] = [before[key] as number, await read()];

  const survivors = cluster.running().filter((m) => m !== leader);
  const changesBefore = await Promise.all(survivors.map((m) => scrape(m, 'etcd_server_leader_changes_seen_total')));
  await leader.kill();
  const next = await cluster.waitForLeader(30_000, () => survivors);
  // Each survivor counts the change once it hears from the new leader (a heartbeat later at most).
  const changesAfter = await waitFor('survivors to count the leader change', LEADER_SEEN_TIMEOUT_MS, async () => {
    const now = await Promise.all(survivors.map((m) => scrape(m, 'etcd_server_leader_changes_seen_total')));
    return now.every((n, i) => n > changesBefore[i]!) ? now : undefined;
  }).catch(() => Promise.all(survivors.map((m) => scrape(m, 'etcd_server_leader_changes_seen_total'))));

  const last = survivors.find((m) => m !== next)!;
  await next.kill();
  await waitFor(`${last.name} to report no leader`, LEADERLESS_TIMEOUT_MS, async () =>
    ((await scrape(last, 'etcd_server_has_leader')) === 0 ? true : undefined));
  const response = await fetch(`${last.clientUrl}/health`);
  return {
    grew, leaderChanges: changesBefore.map((b, i) => [b, changesAfter[i]!]),
    health: { status: response.status, body: await response.json() as Record<string, string> },
  };
}

test('metrics move under load, on leader change and on quorum loss; /health as etcd', async () => {
  requireOracleBinaries();
  const started = await Promise.all([Cluster.start({ kind: 'etcd' }), Cluster.start({ kind: subjectKind() })]);
  clusters.push(...started);
  const [oracle, subject] = await Promise.all([scenario(started[0]), scenario(started[1])]);
  for (const [kind, outcome] of [['etcd', oracle], ['subject', subject]] as const) {
    for (const [name, [before, after]] of Object.entries(outcome.grew)) {
      assert.ok(after > before, `${kind}: ${name} grew (${before} -> ${after})`);
    }
    assert.ok(outcome.grew['grpcPutOk']![1] - outcome.grew['grpcPutOk']![0] >= GRPC_PUTS, `${kind}: gRPC Put counted`);
    for (const [before, after] of outcome.leaderChanges) assert.ok(after > before, `${kind}: leader change seen`);
    assert.equal(outcome.health.status, 503, kind);
    assert.equal(outcome.health.body['health'], 'false', kind);
  }
  if (subjectKind() === 'tetcd') assert.deepEqual(subject.health.body, { health: 'false', reason: 'RAFT NO LEADER' });
});
