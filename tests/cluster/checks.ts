/**
 * Checks shared by the cluster test files.
 */
import assert from 'node:assert/strict';
import { parseJsonWithBigIds, type Cluster, type ClusterMember } from '../helpers/cluster.js';
import { runEtcdctl } from '../helpers/etcdctl.js';

/**
 * `etcdctl endpoint hashkv --cluster -w json` through `via`: must succeed, list every member of the
 * cluster that is expected to be present, and give one hash.
 * @throws AssertionError otherwise (message quotes etcdctl's output).
 */
export async function assertClusterHashesEqual(cluster: Cluster, via: ClusterMember,
  expectedMembers: number): Promise<void> {
  const res = await runEtcdctl(via.endpoint, ['endpoint', 'hashkv', '--cluster', '-w', 'json']);
  const context = `etcdctl endpoint hashkv --cluster on ${cluster.kind} (exit ${res.exitCode}):\n${res.stdout}${res.stderr}`;
  assert.equal(res.exitCode, 0, context);
  const parsed = parseJsonWithBigIds(res.stdout) as Array<{ Endpoint: string; HashKV: { hash: number | string } }>;
  assert.equal(parsed.length, expectedMembers, context);
  assert.equal(new Set(parsed.map((entry) => String(entry.HashKV.hash))).size, 1, context);
}

/** Member names as `etcdctl member list -w json` reports them, sorted. */
export async function memberNames(via: ClusterMember): Promise<string[]> {
  const res = await runEtcdctl(via.endpoint, ['member', 'list', '-w', 'json']);
  assert.equal(res.exitCode, 0, `member list: ${res.stderr}`);
  const parsed = parseJsonWithBigIds(res.stdout) as { members: Array<{ name?: string }> };
  return parsed.members.map((m) => m.name ?? '').sort();
}
