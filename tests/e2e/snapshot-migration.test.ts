/**
 * Snapshot files move both ways between tetcd and real etcd 3.4:
 * tetcd -> `tetcdctl snapshot save` -> Debian `etcdctl snapshot status|restore` -> etcd serves the same keys;
 * etcd -> `etcdctl snapshot save` -> `tetcdutl snapshot restore` -> tetcd serves the same keys, revisions
 * and leases. Also: `tetcdctl snapshot verify`, and tetcdutl refuses a non-empty data dir and a corrupted snapshot.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { ServerProcess } from '../helpers/server.js';
import { allKeys, runTetcd } from './snapshot-support.js';

const dir = mkdtempSync(join(tmpdir(), 'tetcd-snapshot-e2e-'));
const servers: ServerProcess[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.cleanup()));
  rmSync(dir, { recursive: true, force: true });
});

async function start(kind: 'etcd' | 'tetcd', name: string): Promise<ServerProcess> {
  const server = await ServerProcess.start({ kind, name });
  servers.push(server);
  return server;
}

async function ctl(endpoint: string, args: string[]): Promise<string> {
  const result = await runEtcdctl(endpoint, args);
  assert.equal(result.exitCode, 0, `etcdctl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Writes a small history: puts, an overwrite, a delete, a key on a lease; returns the lease id (hex). */
async function writeHistory(endpoint: string): Promise<string> {
  for (let i = 0; i < 10; i++) await ctl(endpoint, ['put', `k/${i}`, `value-${i}`]);
  await ctl(endpoint, ['put', 'k/3', 'overwritten']);
  await ctl(endpoint, ['del', 'k/4']);
  const lease = /lease ([0-9a-f]+) granted/.exec(await ctl(endpoint, ['lease', 'grant', '3600']))?.[1];
  assert.ok(lease !== undefined);
  await ctl(endpoint, ['put', 'leased', 'x', `--lease=${lease}`]);
  await ctl(endpoint, ['compaction', '--physical', '5']);
  return lease;
}

/** Stops `server`, replaces its data dir by a restore made with `restore(dataDir)`, starts it again. */
async function restoreInto(server: ServerProcess, restore: (args: string[]) => Promise<void>): Promise<void> {
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
  await restore([`--name=${server.name}`, `--data-dir=${server.dataDir}`, `--initial-cluster=${server.name}=${server.peerUrl}`,
    `--initial-advertise-peer-urls=${server.peerUrl}`]);
  await server.restart();
}

test('tetcd snapshot -> Debian etcdctl status and restore -> real etcd serves the same keys', async () => {
  const [source, target] = await Promise.all([start('tetcd', 'source'), start('etcd', 'target')]);
  await writeHistory(source.endpoint);
  const file = join(dir, 'from-tetcd.db');
  const save = await runTetcd(['ctl', `--endpoints=${source.endpoint}`, 'snapshot', 'save', file]);
  assert.equal(save.exitCode, 0, save.stderr);
  assert.equal(save.stdout, `Snapshot saved at ${file}\n`);
  assert.match(save.stderr, /"msg":"fetched snapshot"/);
  const theirs = await ctl(source.endpoint, ['snapshot', 'status', file, '-w', 'json']);
  const ours = await runTetcd(['ctl', 'snapshot', 'status', file, '-w', 'json']);
  assert.equal(ours.stdout, theirs);
  assert.match(theirs, /"revision":14,/);
  const verify = await runTetcd(['ctl', 'snapshot', 'verify', file]);
  assert.equal(verify.exitCode, 0, verify.stderr);
  assert.match(verify.stdout, /revision 14, .*restore drill OK\n$/);
  await restoreInto(target, async (args) => { await ctl(target.endpoint, ['snapshot', 'restore', file, ...args]); });
  const [expected, actual] = await Promise.all([allKeys(source.endpoint), allKeys(target.endpoint)]);
  assert.equal(actual.kvs, expected.kvs);
  assert.equal(actual.revision, expected.revision);
});

test('real etcd snapshot -> tetcdutl snapshot restore -> tetcd serves the same keys, revisions and leases', async () => {
  const [source, target] = await Promise.all([start('etcd', 'etcd-source'), start('tetcd', 'tetcd-target')]);
  const lease = await writeHistory(source.endpoint);
  const file = join(dir, 'from-etcd.db');
  await ctl(source.endpoint, ['snapshot', 'save', file]);
  const utlStatus = await runTetcd(['utl', 'snapshot', 'status', file, '-w', 'table']);
  assert.equal(utlStatus.stdout, await ctl(source.endpoint, ['snapshot', 'status', file, '-w', 'table']));
  await restoreInto(target, async (args) => {
    const restored = await runTetcd(['utl', 'snapshot', 'restore', file, ...args]);
    assert.equal(restored.exitCode, 0, restored.stderr);
  });
  const [expected, actual] = await Promise.all([allKeys(source.endpoint), allKeys(target.endpoint)]);
  assert.equal(actual.kvs, expected.kvs);
  assert.equal(actual.revision, expected.revision);
  assert.match(await ctl(target.endpoint, ['lease', 'list']), new RegExp(`^${lease}$`, 'm'));
  assert.match(await ctl(target.endpoint, ['lease', 'timetolive', lease, '--keys']), /attached keys\(\[leased\]\)/);
  assert.match((await runEtcdctl(target.endpoint, ['get', 'k/0', '--rev=4'])).stderr, /required revision has been compacted/);
  await ctl(target.endpoint, ['put', 'after', 'restore']);
  assert.match(await ctl(target.endpoint, ['get', 'after', '-w', 'json']), /"mod_revision":15,/);

  // Refusals: a non-empty data dir, and a corrupted snapshot (nothing is created).
  const busy = await runTetcd(['utl', 'snapshot', 'restore', file, `--data-dir=${target.dataDir}`]);
  assert.equal(busy.exitCode, 1);
  assert.match(busy.stderr, new RegExp(`Error: data-dir "${target.dataDir}" not empty or could not be read`));
  const bytes = readFileSync(file);
  bytes[bytes.length - 100]! ^= 0xff;
  const corrupt = join(dir, 'corrupt.db');
  writeFileSync(corrupt, bytes);
  const bad = await runTetcd(['utl', 'snapshot', 'restore', corrupt, `--data-dir=${join(dir, 'never')}`]);
  assert.equal(bad.exitCode, 1);
  assert.match(bad.stderr, /Error: expected sha256 \[[0-9 ]+\], got \[[0-9 ]+\]/);
  assert.throws(() => readFileSync(join(dir, 'never', 'member', 'snap', 'db')));
});
