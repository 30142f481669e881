/**
 * The NOSPACE runbook (shared/runbooks/etcd-maintenance.txt, "etcd NOSPACE alarm — cluster read-only")
 * end to end on 3-member clusters with a small --quota-backend-bytes, run on real etcd and on tetcd in
 * parallel: overwrite a few keys with large values until the quota alarm fires; check that writes fail
 * with etcd's error while reads and deletes still work; run the runbook's commands verbatim through bash
 * with Debian's etcdctl and jq (alarm list, compact to the status revision, defrag, alarm disarm); then
 * writes work again and every acknowledged value (latest per key) is served by every member.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { ETCDCTL_BIN, requireOracleBinaries } from '../helpers/binaries.js';
import { Cluster, withClusterLogs } from '../helpers/cluster.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { createKvClient, grpcErrorMessage } from '../helpers/grpc-client.js';
import { subjectKind } from '../helpers/oracle.js';
import { assertClusterHashesEqual } from './checks.js';
import { normaliseClusterOutput } from './cluster-normalise.js';
import { waitForEqualHashes, waitForKeys } from './load.js';

const PREFIX = 'nospace/';
const QUOTA_BYTES = 4 * 1024 * 1024;
const KEYS = 16;
const VALUE_BYTES = 48 * 1024;
/** More writes than this without an alarm means the quota is not enforced. */
const WRITES_MAX = 2_000;
const SPACE_EXCEEDED = 'etcdserver: mvcc: database space exceeded';
const CONVERGE_TIMEOUT_MS = 60_000;

/** The runbook's emergency fix, verbatim (etcdctl from PATH, endpoints from ETCDCTL_ENDPOINTS). */
const RUNBOOK = `set -e
etcdctl alarm list              # Confirm NOSPACE
REV=$(etcdctl endpoint status -w json | jq '.[0].Status.header.revision')
etcdctl compact $REV            # Compact
etcdctl defrag                  # Reclaim space
etcdctl alarm disarm            # Clear alarm
`;

const clusters: Array<Cluster | undefined> = [];
after(async () => {
  await Promise.all(clusters.map((c) => c?.cleanup()));
});

interface Outcome {
  writesUntilAlarm: number;
  putDuringAlarm: string;
  runbook: { code: number; stdout: string; stderr: string };
  alarmsAfter: string;
}

function runBash(script: string, endpoints: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const binDir = ETCDCTL_BIN.slice(0, ETCDCTL_BIN.lastIndexOf('/'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCDCTL')));
  const child = spawn('bash', ['-c', script], {
    env: { ...env, PATH: `${binDir}:${env['PATH'] ?? ''}`, ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: endpoints },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

/**
 * Overwrites KEYS keys round-robin until a put fails with NOSPACE; records the latest acked values and
 * returns the failed write's index and key. That write is indeterminate: etcd's quota applier applies a
 * put and then answers "database space exceeded" (tetcd refuses before proposing), so its key is
 * rewritten after recovery before values are compared.
 */
async function fillUntilAlarm(cluster: Cluster, acked: Map<string, string>): Promise<{ writes: number; key: string }> {
  const client = createKvClient(cluster.members[0]!.endpoint);
  try {
    for (let i = 0; i < WRITES_MAX; i++) {
      const key = `${PREFIX}k${String(i % KEYS).padStart(2, '0')}`;
      const value = `${i}:`.padEnd(VALUE_BYTES, 'x');
      try {
        await client.kv.put({ key: Buffer.from(key), value: Buffer.from(value) });
        acked.set(key, value);
      } catch (error) {
        const message = grpcErrorMessage(error);
        assert.equal(message, SPACE_EXCEEDED, `write ${i} failed with an unexpected error`);
        return { writes: i, key };
      }
    }
  } finally {
    client.close();
  }
  assert.fail(`no NOSPACE alarm after ${WRITES_MAX} writes of ${VALUE_BYTES} bytes with a ${QUOTA_BYTES}-byte quota`);
}

async function scenario(cluster: Cluster): Promise<Outcome> {
  await cluster.refreshIds();
  const acked = new Map<string, string>();
  const { writes: writesUntilAlarm, key: indeterminateKey } = await fillUntilAlarm(cluster, acked);
  const endpoints = cluster.endpoints();
  const via = cluster.members[1]!.endpoint;

  const put = await runEtcdctl(via, ['put', `${PREFIX}during`, 'x']);
  assert.notEqual(put.exitCode, 0, 'a put must fail while NOSPACE is raised');
  const [someKey, someValue] = [...acked][0]!;
  const get = await runEtcdctl(via, ['get', someKey, '--print-value-only']);
  assert.equal(get.exitCode, 0, `reads must work during NOSPACE: ${get.stderr}`);
  assert.equal(get.stdout, `${someValue}\n`);
  const deletedKey = [...acked.keys()].at(-1)!;
  const del = await runEtcdctl(via, ['del', deletedKey]);
  assert.equal(del.exitCode, 0, `deletes must work during NOSPACE: ${del.stderr}`);
  assert.equal(del.stdout, '1\n');
  acked.delete(deletedKey);

  const runbook = await runBash(RUNBOOK, endpoints);
  assert.equal(runbook.code, 0, `runbook failed on ${cluster.kind}:\n${runbook.stdout}${runbook.stderr}`);
  const alarms = await runEtcdctl(endpoints, ['alarm', 'list']);
  assert.equal(alarms.exitCode, 0, alarms.stderr);

  const client = createKvClient(via);
  try {
    await client.kv.put({ key: Buffer.from(`${PREFIX}after`), value: Buffer.from('ok') });
    await client.kv.put({ key: Buffer.from(indeterminateKey), value: Buffer.from('rewritten') });
  } finally {
    client.close();
  }
  acked.set(`${PREFIX}after`, 'ok');
  acked.set(indeterminateKey, 'rewritten');
  for (const member of cluster.members) await waitForKeys(member, PREFIX, acked, CONVERGE_TIMEOUT_MS);
  await waitForEqualHashes(cluster, CONVERGE_TIMEOUT_MS);
  return { writesUntilAlarm, putDuringAlarm: put.stderr, runbook, alarmsAfter: alarms.stdout };
}

async function startAndRun(kind: 'etcd' | 'tetcd', slot: number): Promise<{ cluster: Cluster; outcome: Outcome }> {
  const cluster = await Cluster.start({ kind, extraArgs: [`--quota-backend-bytes=${QUOTA_BYTES}`] });
  clusters[slot] = cluster;
  const outcome = await withClusterLogs([cluster], () => scenario(cluster));
  return { cluster, outcome };
}

/**
 * Member ids and endpoints differ between the clusters; which members raise NOSPACE depends on when
 * each one's backend crosses the quota while applying (on etcd too), so a run of alarm lines becomes
 * one `<NOSPACE alarms>` line. The runbook's output must match otherwise.
 */
function normalise(text: string, cluster: Cluster): string {
  return normaliseClusterOutput(text, cluster)
    .replace(/(?:^memberID:\S+ alarm:NOSPACE \n)+/gm, '<NOSPACE alarms>\n')
    .replace(/^compacted revision \d+$/m, 'compacted revision <rev>');
}

test('NOSPACE runbook on 3 members: alarm, read-only, compact + defrag + disarm, writes resume, nothing lost',
  { timeout: 300_000 }, async () => {
    requireOracleBinaries();
    const [oracle, subject] = await Promise.all([startAndRun('etcd', 0), startAndRun(subjectKind(), 1)]);
    for (const { cluster, outcome } of [oracle, subject]) {
      console.log(`${cluster.kind}: NOSPACE after ${outcome.writesUntilAlarm} writes; runbook printed:\n` +
        `${outcome.runbook.stdout}${outcome.runbook.stderr}`);
    }
    const [o, s] = [oracle.outcome, subject.outcome];
    assert.equal(normalise(s.putDuringAlarm, subject.cluster), normalise(o.putDuringAlarm, oracle.cluster),
      'put during NOSPACE: etcdctl stderr differs from etcd');
    assert.equal(normalise(s.runbook.stdout, subject.cluster), normalise(o.runbook.stdout, oracle.cluster),
      'the runbook printed something else than on etcd');
    assert.equal(s.alarmsAfter, '', 'no alarm may remain after the runbook');
    assert.equal(o.alarmsAfter, '');
    await withClusterLogs([subject.cluster], () =>
      assertClusterHashesEqual(subject.cluster, subject.cluster.members[0]!, 3));
  });
