/**
 * Full-cluster disaster recovery (etcd's runbook): a 3-member cluster is written to, one snapshot is
 * saved from one member, every member is stopped and its data dir deleted, each member is restored from
 * that one snapshot with its own --name and the same --initial-cluster and a new token, and all start
 * again: one leader, a new cluster id, every key served by every member, equal hashes, writes work.
 * tetcd restores with `tetcdutl snapshot restore` (E2E_SUBJECT=etcd: real etcdctl, to check the test).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Cluster, withClusterLogs } from '../helpers/cluster.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { subjectKind } from '../helpers/oracle.js';
import { allKeys, runTetcd } from '../e2e/snapshot-support.js';

const KEYS = 12;
let cluster: Cluster | undefined;
const dir = mkdtempSync(join(tmpdir(), 'tetcd-dr-'));
after(async () => {
  await cluster?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function ctl(endpoint: string, args: string[]): Promise<string> {
  const result = await runEtcdctl(endpoint, args);
  assert.equal(result.exitCode, 0, `etcdctl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

test('restore all members from one snapshot after losing every data dir', { timeout: 240_000 }, async () => {
  const c = await Cluster.start({ kind: subjectKind() });
  cluster = c;
  await withClusterLogs([c], async () => {
    const first = c.members[0]!;
    for (let i = 0; i < KEYS; i++) await ctl(c.endpoints(), ['put', `dr/${i}`, `v${i}`]);
    await ctl(c.endpoints(), ['del', 'dr/7']);
    const before = await allKeys(first.endpoint);
    const oldClusterId = /"cluster_id":(\d+)/.exec(await ctl(first.endpoint, ['get', 'dr/0', '-w', 'json']))?.[1];
    const file = join(dir, 'backup.db');
    await ctl(first.endpoint, ['snapshot', 'save', file]);

    await Promise.all(c.members.map((m) => m.stop()));
    const initialCluster = c.members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    for (const member of c.members) {
      rmSync(member.dataDir, { recursive: true, force: true });
      const args = ['snapshot', 'restore', file, `--name=${member.name}`, `--data-dir=${member.dataDir}`,
        `--initial-cluster=${initialCluster}`, `--initial-cluster-token=restored-${process.pid}`,
        `--initial-advertise-peer-urls=${member.peerUrl}`];
      const result = c.kind === 'etcd' ? await runEtcdctl(member.endpoint, args) : await runTetcd(['utl', ...args]);
      assert.equal(result.exitCode, 0, result.stderr);
    }
    await Promise.all(c.members.map((m) => m.restart()));
    await c.leader();

    const members = await ctl(first.endpoint, ['member', 'list']);
    assert.equal(members.trim().split('\n').length, 3);
    for (const member of c.members) {
      const served = await allKeys(member.endpoint);
      assert.equal(served.kvs, before.kvs, `${member.name} serves the snapshot's keys`);
    }
    const newClusterId = /"cluster_id":(\d+)/.exec(await ctl(first.endpoint, ['get', 'dr/0', '-w', 'json']))?.[1];
    assert.notEqual(newClusterId, oldClusterId);
    await ctl(c.endpoints(), ['put', 'dr/after', 'yes']);
    const hashes = await c.hashes();
    assert.equal(new Set(hashes.values()).size, 1, `hashes differ: ${JSON.stringify([...hashes])}`);
  });
});
