/**
 * K3s-style snapshots (src/ha) against a REAL etcd as the snapshot source and s3rver as S3:
 * on-demand save, ls (table/json/yaml, local + S3), delete, prune, compressed round trip through S3,
 * scheduled snapshots with retention (manual ticks and a real per-second croner schedule), checksum
 * mismatch rejected before anything is kept, and an unreachable S3 that still keeps the local snapshot.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { MaintenanceService } from '../../src/proto/services.js';
import { SnapshotResponse } from '../../src/proto/gen/etcdserverpb.js';
import { silentLogger } from '../../src/platform/logger.js';
import type { Clock } from '../../src/base/clock.js';
import { runSnapshotCommand } from '../../src/ha/snapshot-command.js';
import { fetchSnapshot } from '../../src/ha/restore-source.js';
import { startSnapshotScheduler, type ScheduleFn } from '../../src/ha/scheduler.js';
import { takeSnapshot, type SnapshotResult } from '../../src/ha/snapshot-service.js';
import { S3SnapshotStore } from '../../src/ha/s3-store.js';
import { SnapshotChecksumError } from '../../src/ha/file-io.js';
import { memberIsLearner } from '../../src/ha/member-snapshot.js';
import { startTestS3Server, type TestS3Server } from '../../src/ha/testing/s3-server.js';
import { ServerProcess } from '../helpers/server.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { allocatePort } from '../helpers/ports.js';

const NODE = 'n1';
let etcd: ServerProcess;
let s3: TestS3Server;
let root: string;
let dirCount = 0;

function freshDir(): string {
  return join(root, `d${++dirCount}`);
}

interface CliResult { code: number; stdout: string; stderr: string }

/** Runs `tetcd snapshot ...` in-process, collecting what it writes. */
async function cli(...argv: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSnapshotCommand(argv, {
    stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => err.push(text) },
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

async function assertEtcdSnapshot(path: string): Promise<void> {
  const status = await runEtcdctl(etcd.endpoint, ['snapshot', 'status', path, '-w', 'json']);
  assert.equal(status.exitCode, 0, status.stderr);
  assert.ok((JSON.parse(status.stdout) as { totalKey: number }).totalKey > 0);
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'tetcd-ha-e2e-'));
  [etcd, s3] = await Promise.all([ServerProcess.start({ kind: 'etcd' }), startTestS3Server('snaps')]);
  for (let i = 0; i < 20; i++) {
    const put = await runEtcdctl(etcd.endpoint, ['put', `k${i}`, `value-${i}`]);
    assert.equal(put.exitCode, 0, put.stderr);
  }
});

after(async () => {
  await Promise.all([etcd?.cleanup(), s3?.close()]);
  if (root !== undefined && process.env['E2E_KEEP_TMP'] !== '1') rmSync(root, { recursive: true, force: true });
});

test('on-demand save to disk and S3, ls in every format, delete', async () => {
  const dir = freshDir();
  const common = ['--dir', dir, '--node-name', NODE, ...s3.flags('site-1')];
  const saved = await cli('save', '--etcd-server', etcd.clientUrl, ...common);
  assert.equal(saved.code, 0, saved.stderr);
  const names = readdirSync(dir);
  assert.equal(names.length, 1);
  const name = names[0]!;
  assert.match(name, /^on-demand-n1-\d+$/);
  assert.match(saved.stdout, new RegExp(`uploaded to s3://snaps/site-1/${name}`));
  await assertEtcdSnapshot(join(dir, name));

  const table = await cli('ls', ...common);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^Name {2,}Location {2,}Size {2}Created$/);
  const size = readFileSync(join(dir, name)).length;
  assert.match(lines[1]!, new RegExp(`^${name} +file://${dir}/${name} +${size} \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z$`));
  assert.match(lines[2]!, new RegExp(`^${name} +s3://snaps/site-1/${name} +${size} `));
  assert.equal(lines.length, 3);

  const json = JSON.parse((await cli('ls', ...common, '-o', 'json')).stdout) as Record<string, { location: string }>;
  assert.deepEqual(Object.keys(json).sort(), [`local-${name}`, `s3-${name}`]);
  assert.equal(json[`s3-${name}`]!.location, `s3://snaps/site-1/${name}`);
  const yaml = (await cli('ls', ...common, '-o', 'yaml')).stdout;
  assert.match(yaml, new RegExp(`^local-${name}:\\n  name: ${name}\\n`));
  assert.equal((await cli('ls', ...common, '-o', 'xml')).code, 1);

  const removed = await cli('delete', name, ...common);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /Removed local snapshot/);
  assert.match(removed.stdout, /Removed S3 snapshot/);
  assert.equal((await cli('ls', ...common)).stdout, 'Name Location Size Created\n');
  const again = await cli('delete', name, ...common);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /does not exist/);
});

test('compressed snapshot round trip through S3 and fetchSnapshot', async () => {
  const dir = freshDir();
  const saved = await cli('save', '--etcd-server', etcd.clientUrl, '--dir', dir, '--node-name', NODE,
    '--snapshot-compress', '--name', 'zipped', ...s3.flags());
  assert.equal(saved.code, 0, saved.stderr);
  const [name] = readdirSync(dir);
  assert.match(name!, /^zipped-n1-\d+\.zip$/);
  const fromS3 = await fetchSnapshot(name!, s3.options(), join(root, 'restore-s3'));
  assert.equal(fromS3, join(root, 'restore-s3', name!.slice(0, -4)));
  await assertEtcdSnapshot(fromS3);
  const fromDisk = await fetchSnapshot(join(dir, name!), undefined, join(root, 'restore-local'));
  assert.ok(readFileSync(fromDisk).equals(readFileSync(fromS3)));
});

test('scheduled snapshots apply retention locally and on S3 (manual ticks)', async () => {
  const dir = freshDir();
  let wallMs = 1_700_000_000_000;
  const clock: Clock = { nowMs: () => 0, wallMs: () => wallMs };
  let tick: (() => Promise<void>) | undefined;
  const schedule: ScheduleFn = (_pattern, fn) => { tick = fn; return { stop: () => { tick = undefined; } }; };
  const results: SnapshotResult[] = [];
  // An on-demand snapshot of the same node must survive scheduled retention.
  const onDemand = await takeSnapshot({ endpoint: etcd.clientUrl, dir, name: 'on-demand', nodeName: NODE,
    compress: false, retention: 0, clock });
  const scheduler = startSnapshotScheduler({
    endpoint: etcd.clientUrl, dir, name: 'etcd-snapshot', nodeName: NODE, compress: false, retention: 2,
    s3: s3.options('scheduled'), clock, cron: '0 */12 * * *',
  }, silentLogger(), {
    schedule, onResult: ({ result, error }) => { assert.equal(error, undefined); results.push(result!); },
  });
  for (let i = 1; i <= 4; i++) {
    wallMs += 1_000_000;
    await tick!();
  }
  await scheduler.stop();
  assert.equal(tick, undefined);
  assert.equal(results.length, 4);
  assert.ok(results.every((r) => r.s3 !== undefined && r.s3Error === undefined));
  const expected = ['etcd-snapshot-n1-1700003000', 'etcd-snapshot-n1-1700004000'];
  assert.deepEqual(readdirSync(dir).sort(), [...expected, onDemand.local.name].sort());
  const store = new S3SnapshotStore(s3.options('scheduled'));
  try {
    assert.deepEqual((await store.list()).map((s) => s.name).sort(), expected);
  } finally {
    store.close();
  }
});

test('a real per-second croner schedule takes snapshots until stopped', async () => {
  const dir = freshDir();
  let resolveTwo: () => void;
  const two = new Promise<void>((resolve) => { resolveTwo = resolve; });
  let count = 0;
  const scheduler = startSnapshotScheduler({
    endpoint: etcd.clientUrl, dir, name: 'etcd-snapshot', nodeName: NODE, compress: true, retention: 5,
    cron: '* * * * * *',
  }, silentLogger(), { onResult: ({ error }) => { assert.equal(error, undefined); if (++count === 2) resolveTwo(); } });
  await two;
  await scheduler.stop();
  const files = readdirSync(dir);
  assert.ok(files.length >= 2 && files.every((f) => /^etcd-snapshot-n1-\d+\.zip$/.test(f)), files.join(','));
  assert.throws(() => startSnapshotScheduler({ endpoint: etcd.clientUrl, dir, name: 'x', nodeName: NODE,
    compress: false, retention: 1, cron: 'not a cron' }, silentLogger()), RangeError);
  // A learner skips its scheduled snapshots (K3s); this single etcd member is a voter.
  assert.equal(await memberIsLearner(etcd.clientUrl, undefined), false);
  let skipTick: (() => Promise<void>) | undefined;
  const skipping = startSnapshotScheduler({ endpoint: etcd.clientUrl, dir: join(root, 'skipped'), name: 'x',
    nodeName: NODE, compress: false, retention: 1, cron: '* * * * * *' }, silentLogger(), {
    schedule: (_p, fn) => { skipTick = fn; return { stop: () => undefined }; }, shouldRun: () => Promise.resolve(false),
  });
  await skipTick!();
  await skipping.stop();
  assert.equal(existsSync(join(root, 'skipped')), false);
  const disabled = startSnapshotScheduler({ endpoint: etcd.clientUrl, dir, name: 'x', nodeName: NODE,
    compress: false, retention: 1, cron: '* * * * * *', disabled: true }, silentLogger());
  await disabled.stop();
});

test('prune keeps the newest N of --name locally and on S3', async () => {
  const dir = freshDir();
  const source = await takeSnapshot({ endpoint: etcd.clientUrl, dir: join(root, 'prune-src'), name: 'src',
    nodeName: NODE, compress: false, retention: 0 });
  const sourcePath = join(root, 'prune-src', source.local.name);
  const store = new S3SnapshotStore(s3.options('prune'));
  mkdirSync(dir, { recursive: true });
  try {
    for (const ts of [100, 300, 200]) {
      const name = `on-demand-n1-${ts}`;
      copyFileSync(sourcePath, join(dir, name));
      await store.upload(join(dir, name), name);
    }
    copyFileSync(sourcePath, join(dir, 'etcd-snapshot-n1-50'));
    const pruned = await cli('prune', '--dir', dir, '--node-name', NODE, '--snapshot-retention', '1',
      ...s3.flags('prune'));
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual(readdirSync(dir).sort(), ['etcd-snapshot-n1-50', 'on-demand-n1-300']);
    assert.deepEqual((await store.list()).map((s) => s.name), ['on-demand-n1-300']);
  } finally {
    store.close();
  }
});

test('a snapshot whose sha256 trailer does not match is never kept', async () => {
  const db = Buffer.alloc(4096, 1);
  const badTrailer = createHash('sha256').update(Buffer.from('other')).digest();
  const server = new grpc.Server();
  server.addService(MaintenanceService, {
    snapshot: (call: grpc.ServerWritableStream<unknown, SnapshotResponse>) => {
      call.write(SnapshotResponse.create({ blob: db, remainingBytes: 32 }));
      call.write(SnapshotResponse.create({ blob: badTrailer }));
      call.end();
    },
  });
  const port = await allocatePort();
  await new Promise<void>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`,
    grpc.ServerCredentials.createInsecure(), (error) => (error !== null ? reject(error) : resolve())));
  const dir = freshDir();
  try {
    const saved = await cli('save', '--etcd-server', `127.0.0.1:${port}`, '--dir', dir, '--node-name', NODE);
    assert.equal(saved.code, 1);
    assert.match(saved.stderr, /failed its sha256 check/);
    assert.deepEqual(readdirSync(dir), []);
    await assert.rejects(takeSnapshot({ endpoint: `127.0.0.1:${port}`, dir, name: 'x', nodeName: NODE,
      compress: true, retention: 0 }), SnapshotChecksumError);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    server.forceShutdown();
  }
  const corrupt = join(root, 'corrupt');
  writeFileSync(corrupt, Buffer.concat([db, badTrailer]));
  await assert.rejects(fetchSnapshot(corrupt, undefined, root), SnapshotChecksumError);
});

test('an unreachable S3 gives a clear error and keeps the local snapshot', async () => {
  const dir = freshDir();
  const closedPort = await allocatePort();
  const flags = s3.flags().map((f) => (f === s3.endpoint ? `127.0.0.1:${closedPort}` : f));
  const saved = await cli('save', '--etcd-server', etcd.clientUrl, '--dir', dir, '--node-name', NODE, ...flags);
  assert.equal(saved.code, 1);
  assert.match(saved.stderr, new RegExp(`S3 upload of s3://snaps/on-demand-n1-\\d+ \\(endpoint 127.0.0.1:${closedPort}\\) ` +
    'failed: .*ECONNREFUSED'));
  assert.match(saved.stderr, /The local snapshot file:\/\/.* was kept/);
  const [name] = readdirSync(dir);
  assert.ok(name !== undefined && existsSync(join(dir, name)));
  await assertEtcdSnapshot(join(dir, name));
  const listed = await cli('ls', '--dir', dir, ...flags);
  assert.equal(listed.code, 1);
  assert.match(listed.stderr, /S3 list of s3:\/\/snaps\/ .* failed/);
});
