/**
 * K3s's `--cluster-reset` and `--cluster-reset-restore-path` on a 3-member tetcd cluster started with
 * plain etcd flags: a reset keeps the data and makes one member, prints K3s's message and exits 0; a
 * second reset is refused until a normal start; a former peer on its old data dir is refused with an
 * actionable message; a bad or corrupt snapshot changes nothing; a restore brings back exactly the
 * snapshot's data (the old member dir moved aside) and a former peer whose data dir was deleted rejoins.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Cluster, withClusterLogs, type ClusterMember } from '../helpers/cluster.js';
import { TETCD_BIN } from '../helpers/binaries.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { memberNames } from './checks.js';
import { waitForEqualHashes } from './load.js';

const TIMEOUT_MS = 60_000;
/** Time a one-shot `tetcd server --cluster-reset` run may take. */
const RESET_RUN_TIMEOUT_MS = 60_000;
/** Time a former peer on its old data dir may take to be refused. */
const REFUSAL_TIMEOUT_MS = 30_000;
const DONE_MESSAGE = 'Managed etcd cluster membership has been reset, restart without --cluster-reset flag now.';
const KEYS_BEFORE = 20;

let cluster: Cluster | undefined;
after(async () => { await cluster?.cleanup(); });

interface RunResult { code: number; output: string }

/** Runs `tetcd server` with the member's own flags plus `extra` to completion. */
function runServerOnce(member: ClusterMember, extra: readonly string[]): Promise<RunResult> {
  const s = member.spec;
  const args = [TETCD_BIN, 'server', '--name', s.name, '--data-dir', member.dataDir,
    '--listen-client-urls', member.clientUrl, '--advertise-client-urls', member.clientUrl,
    '--listen-peer-urls', member.peerUrl, '--initial-advertise-peer-urls', member.peerUrl,
    '--initial-cluster', s.initialCluster, '--initial-cluster-state', s.initialState,
    '--initial-cluster-token', s.token, ...extra];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: RESET_RUN_TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

async function put(member: ClusterMember, key: string, value: string): Promise<void> {
  const res = await runEtcdctl(member.endpoint, ['put', key, value]);
  assert.equal(res.exitCode, 0, `put ${key}: ${res.stderr}`);
}

async function keysWithPrefix(member: ClusterMember, prefix: string): Promise<string[]> {
  const res = await runEtcdctl(member.endpoint, ['get', prefix, '--prefix', '--keys-only']);
  assert.equal(res.exitCode, 0, `get: ${res.stderr}`);
  return res.stdout.split('\n').filter((line) => line !== '').sort();
}

function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`).sort();
}

/** Restarts a former member on its old data dir and expects the old-cluster refusal. */
async function expectRefused(member: ClusterMember): Promise<void> {
  member.spawnProcess();
  await member.waitExit(REFUSAL_TIMEOUT_MS);
  assert.match(member.logSinceStart(), /has data from an old cluster.*Back up and delete/s,
    `former member log:\n${member.logTail()}`);
}

test('--cluster-reset and --cluster-reset-restore-path (plain etcd flags)', { timeout: 300_000 }, async () => {
  const c = await Cluster.start({ kind: 'tetcd' });
  cluster = c;
  await withClusterLogs([c], async () => {
    const [m1, m2, m3] = [c.members[0]!, c.members[1]!, c.members[2]!];
    for (const key of names('a/', KEYS_BEFORE)) await put(m1, key, 'v');
    const snapPath = join(m1.rootDir, 'snap.db');
    const saved = await runEtcdctl(m1.endpoint, ['snapshot', 'save', snapPath]);
    assert.equal(saved.exitCode, 0, `snapshot save: ${saved.stderr}`);
    await put(m1, 'b/after-snapshot', 'v');
    await Promise.all(c.members.map((m) => m.stop()));

    const noReset = await runServerOnce(m1, [`--cluster-reset-restore-path=${snapPath}`]);
    assert.equal(noReset.code, 2, noReset.output);
    assert.match(noReset.output, /--cluster-reset required with --cluster-reset-restore-path/);

    // Reset: keep the data, one member, K3s's message, exit 0, marker written; a second reset is refused.
    const reset = await runServerOnce(m1, ['--cluster-reset']);
    assert.equal(reset.code, 0, reset.output);
    assert.ok(reset.output.includes(DONE_MESSAGE), reset.output);
    assert.ok(reset.output.includes(`Backup and delete ${m1.dataDir} on each peer server`), reset.output);
    assert.ok(existsSync(join(m1.dataDir, 'reset-flag')));
    assert.doesNotMatch(reset.output, new RegExp(`"address":"127\\.0\\.0\\.1:${m1.spec.clientPort}"`),
      'the reset must not listen on the configured client URL');
    const again = await runServerOnce(m1, ['--cluster-reset']);
    assert.equal(again.code, 1, again.output);
    assert.match(again.output, /previously reset.*reset-flag/s);

    // A normal start removes the marker and serves every key alone.
    await m1.restart();
    assert.ok(!existsSync(join(m1.dataDir, 'reset-flag')));
    assert.deepEqual(await memberNames(m1), ['m1']);
    assert.deepEqual(await keysWithPrefix(m1, 'a/'), names('a/', KEYS_BEFORE));
    assert.deepEqual(await keysWithPrefix(m1, 'b/'), ['b/after-snapshot']);
    await put(m1, 'c/after-reset', 'v');
    await expectRefused(m2);
    assert.deepEqual(await memberNames(m1), ['m1']);
    await m1.stop();

    // Bad path and corrupt snapshot: clear error, data dir unchanged.
    const missing = await runServerOnce(m1, ['--cluster-reset', `--cluster-reset-restore-path=${join(m1.rootDir, 'nope.db')}`]);
    assert.equal(missing.code, 1, missing.output);
    assert.match(missing.output, /was not changed/);
    const corrupt = join(m1.rootDir, 'corrupt.db');
    writeFileSync(corrupt, Buffer.alloc(4096, 7));
    const bad = await runServerOnce(m1, ['--cluster-reset', `--cluster-reset-restore-path=${corrupt}`]);
    assert.equal(bad.code, 1, bad.output);
    assert.match(bad.output, /was not changed/);
    assert.deepEqual(readdirSync(m1.dataDir).filter((n) => n.startsWith('member')), ['member']);

    // Restore: the snapshot's data only, the old member dir moved aside.
    const restore = await runServerOnce(m1, ['--cluster-reset', `--cluster-reset-restore-path=${snapPath}`]);
    assert.equal(restore.code, 0, restore.output);
    assert.ok(restore.output.includes(DONE_MESSAGE), restore.output);
    assert.equal(readdirSync(m1.dataDir).filter((n) => /^member-old-\d+$/.test(n)).length, 1);
    await m1.restart();
    assert.deepEqual(await keysWithPrefix(m1, 'a/'), names('a/', KEYS_BEFORE));
    assert.deepEqual(await keysWithPrefix(m1, 'b/'), []);
    assert.deepEqual(await keysWithPrefix(m1, 'c/'), []);
    assert.deepEqual(await memberNames(m1), ['m1']);
    await expectRefused(m3);

    // A former peer whose data dir was deleted rejoins (member add + --initial-cluster-state existing).
    const added = await runEtcdctl(m1.endpoint, ['member', 'add', 'm2', `--peer-urls=${m2.peerUrl}`]);
    assert.equal(added.exitCode, 0, `member add: ${added.stderr}`);
    rmSync(m2.dataDir, { recursive: true, force: true });
    m2.spec.initialCluster = `m1=${m1.peerUrl},m2=${m2.peerUrl}`;
    m2.spec.initialState = 'existing';
    await m2.start();
    assert.deepEqual(await memberNames(m1), ['m1', 'm2']);
    assert.deepEqual(await keysWithPrefix(m2, 'a/'), names('a/', KEYS_BEFORE));
    await waitForEqualHashes(c, TIMEOUT_MS);
  });
});
