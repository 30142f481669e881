/**
 * EtcdClient streams, lock/election and auth against a real etcd (/usr/bin/etcd) on free 127.0.0.1
 * ports: watch events, lease keep-alive, snapshot chunks, lock/unlock, re-authentication after a
 * rejected token.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClient, EtcdClientError, pb } from './index.js';

const ETCD_BIN = '/usr/bin/etcd';
const text = (s: string): Uint8Array => Buffer.from(s);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

let etcd: ChildProcess | undefined;
let dataDir = '';
let endpoint = '';
let client: EtcdClient;

before(async () => {
  assert.ok(existsSync(ETCD_BIN), `${ETCD_BIN} is missing: this test needs a real etcd`);
  dataDir = mkdtempSync(join(tmpdir(), 'tetcd-client-streams-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  endpoint = `127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  etcd = spawn(ETCD_BIN, ['--name=t', `--data-dir=${join(dataDir, 'etcd')}`,
    `--listen-client-urls=http://${endpoint}`, `--advertise-client-urls=http://${endpoint}`,
    `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster=t=${peer}`],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    etcd!.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('ready to serve client requests')) resolve();
    });
    etcd!.once('exit', () => reject(new Error(`etcd exited: ${log.slice(-2000)}`)));
  });
  client = new EtcdClient({ endpoints: [endpoint], requestTimeoutMs: 5_000 });
  await client.dial();
});

after(async () => {
  client?.close();
  if (etcd !== undefined && etcd.exitCode === null) {
    const exited = new Promise((resolve) => etcd!.once('exit', resolve));
    etcd.kill('SIGTERM');
    await exited;
  }
  if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
});

test('watch delivers the created response, then put and delete events with prev kv', async () => {
  const watch = await client.watch({ requireLeader: true });
  watch.send({ createRequest: pb.WatchCreateRequest.create({ key: text('w/'), rangeEnd: text('w0'), prevKv: true }) });
  const seen: string[] = [];
  for await (const r of watch) {
    if (r.created) {
      await client.put({ key: text('w/a'), value: text('1') });
      await client.deleteRange({ key: text('w/a') });
      continue;
    }
    for (const e of r.events) seen.push(`${e.type}:${Buffer.from(e.kv!.key).toString()}:${e.prevKv === undefined ? '' : 'prev'}`);
    if (seen.length === 2) break;
  }
  assert.deepEqual(seen, ['0:w/a:', '1:w/a:prev']);
});

test('lease keep-alive renews; a revoked lease answers TTL 0', async () => {
  const { ID } = await client.leaseGrant({ TTL: 30 });
  const stream = await client.leaseKeepAlive();
  stream.send({ ID });
  const ttls: number[] = [];
  for await (const r of stream) {
    ttls.push(r.TTL);
    if (ttls.length === 1) {
      await client.leaseRevoke({ ID });
      stream.send({ ID });
    } else break;
  }
  stream.cancel();
  assert.deepEqual(ttls, [30, 0]);
});

test('snapshot streams the backend: chunks end with remainingBytes 0 and a sha256 trailer', async () => {
  let total = 0;
  let last: pb.SnapshotResponse | undefined;
  for await (const chunk of await client.snapshot()) {
    total += chunk.blob.length;
    last = chunk;
  }
  assert.ok(last !== undefined && Number(last.remainingBytes) === 0, 'last chunk has remainingBytes 0');
  assert.ok(total > 32, `snapshot has ${total} bytes`);
});

test('lock returns a key under the name; a second locker waits until unlock', async () => {
  const { ID } = await client.leaseGrant({ TTL: 30 });
  const first = await client.lock({ name: text('L'), lease: ID });
  assert.match(Buffer.from(first.key).toString(), /^L\//);
  const { ID: other } = await client.leaseGrant({ TTL: 30 });
  const second = client.lock({ name: text('L'), lease: other });
  const order: string[] = [];
  void second.then(() => order.push('second'));
  await client.put({ key: text('marker'), value: text('x') }); // a round trip while the second waits
  order.push('unlock');
  await client.unlock({ key: first.key });
  await second;
  assert.deepEqual(order, ['unlock', 'second']);
});

test('auth: a rejected token is refreshed once; wrong passwords fail at dial', async () => {
  await client.userAdd({ name: 'root', password: 'pw' });
  await client.roleAdd({ name: 'root' });
  await client.userGrantRole({ user: 'root', role: 'root' });
  await client.authEnable();
  const stale = new EtcdClient({ endpoints: [endpoint], authToken: 'stale.token', auth: { name: 'root', password: 'pw' } });
  const wrong = new EtcdClient({ endpoints: [endpoint], auth: { name: 'root', password: 'nope' } });
  const root = new EtcdClient({ endpoints: [endpoint], auth: { name: 'root', password: 'pw' } });
  try {
    const put = await stale.put({ key: text('authed'), value: text('1') });
    assert.ok(put.header!.revision > 0);
    await assert.rejects(wrong.dial(), (e: unknown) => e instanceof EtcdClientError && e.etcdCode === 'ERR_AUTH_FAILED');
    await assert.rejects(client.range({ key: text('authed') }), (e: unknown) => e instanceof EtcdClientError);
  } finally {
    await root.authDisable();
    for (const c of [stale, wrong, root]) c.close();
  }
});
