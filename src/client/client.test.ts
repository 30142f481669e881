/**
 * EtcdClient against a real etcd (/usr/bin/etcd) started on free 127.0.0.1 ports with a temp data dir.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GrpcStatus } from '../base/errors.js';
import { EtcdClient, EtcdClientError, pb } from './index.js';

const ETCD_BIN = '/usr/bin/etcd';
const READY_TIMEOUT_MS = 20_000;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

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
let deadEndpoint = '';
let client: EtcdClient;

before(async () => {
  if (!existsSync(ETCD_BIN)) {
    throw new Error(`${ETCD_BIN} is missing: this test needs a real etcd (apt-get install etcd-server)`);
  }
  dataDir = mkdtempSync(join(tmpdir(), 'tetcd-client-test-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  deadEndpoint = `127.0.0.1:${await freePort()}`; // nothing listens here
  endpoint = `127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  etcd = spawn(ETCD_BIN, ['--name=t', `--data-dir=${join(dataDir, 'etcd')}`,
    `--listen-client-urls=http://${endpoint}`, `--advertise-client-urls=http://${endpoint}`,
    `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster=t=${peer}`],
  { stdio: 'ignore' });
  client = new EtcdClient({ endpoints: [`http://${endpoint}`], conns: 2, requestTimeoutMs: 5_000 });
  const startMs = Date.now();
  for (;;) {
    try {
      await client.status();
      return;
    } catch (error) {
      if (Date.now() - startMs > READY_TIMEOUT_MS) throw new Error(`etcd did not start: ${String(error)}`);
      await sleep(100);
    }
  }
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

test('put, range, deleteRange round-trip with revisions', async () => {
  const put = await client.put({ key: text('client-test/a'), value: text('1') });
  assert.ok(put.header!.revision > 1);
  await client.put({ key: text('client-test/b'), value: text('2') });
  const range = await client.range({ key: text('client-test/'), rangeEnd: text('client-test0') });
  assert.equal(range.count, 2);
  assert.deepEqual(range.kvs.map((kv) => [str(kv.key), str(kv.value)]), [['client-test/a', '1'], ['client-test/b', '2']]);
  const serializable = await client.range({ key: text('client-test/a'), serializable: true });
  assert.equal(str(serializable.kvs[0]!.value), '1');
  const deleted = await client.deleteRange({ key: text('client-test/a'), prevKv: true });
  assert.equal(deleted.deleted, 1);
  assert.equal(str(deleted.prevKvs[0]!.value), '1');
});

test('txn with compare and put', async () => {
  const key = text('client-test/txn');
  const op = pb.RequestOp.create({ requestPut: pb.PutRequest.create({ key, value: text('v') }) });
  const compare = pb.Compare.create({ key, target: pb.Compare_CompareTarget.VERSION,
    result: pb.Compare_CompareResult.EQUAL, version: 0 });
  const first = await client.txn({ compare: [compare], success: [op] });
  assert.equal(first.succeeded, true);
  const second = await client.txn({ compare: [compare], success: [op] });
  assert.equal(second.succeeded, false);
});

test('etcd errors carry gRPC code, message and stable code', async () => {
  await assert.rejects(client.range({ key: text('x'), revision: 1_000_000_000 }), (error: unknown) => {
    assert.ok(error instanceof EtcdClientError);
    assert.equal(error.grpcCode, GrpcStatus.OUT_OF_RANGE);
    assert.equal(error.message, 'etcdserver: mvcc: required revision is a future revision');
    assert.equal(error.etcdCode, 'ERR_FUTURE_REV');
    assert.equal(error.method, '/etcdserverpb.KV/Range');
    return true;
  });
  await assert.rejects(client.put({ key: new Uint8Array(0), value: text('v') }),
    (error: unknown) => error instanceof EtcdClientError && error.etcdCode === 'ERR_EMPTY_KEY');
  const status = await client.status();
  await client.compact({ revision: status.header!.revision });
  await assert.rejects(client.range({ key: text('x'), revision: 1 }),
    (error: unknown) => error instanceof EtcdClientError && error.etcdCode === 'ERR_COMPACTED');
});

test('maintenance, cluster and lease calls decode', async () => {
  const status = await client.status();
  assert.match(status.version, /^3\./);
  assert.equal(typeof status.header!.memberId, 'bigint');
  assert.equal(status.leader, status.header!.memberId);
  const members = await client.memberList();
  assert.equal(members.members.length, 1);
  assert.equal(members.members[0]!.name, 't');
  assert.deepEqual((await client.alarm()).alarms, []);
  const hash = await client.hashKV({ revision: 0 });
  assert.ok(hash.hash > 0);
  const grant = await client.leaseGrant({ TTL: 60 });
  assert.equal(typeof grant.ID, 'bigint');
  const ttl = await client.leaseTimeToLive({ ID: grant.ID });
  assert.ok(ttl.TTL > 0 && ttl.TTL <= 60);
  await client.leaseRevoke({ ID: grant.ID });
  await assert.rejects(client.leaseRevoke({ ID: grant.ID }),
    (error: unknown) => error instanceof EtcdClientError && error.etcdCode === 'ERR_LEASE_NOT_FOUND' &&
      error.grpcCode === GrpcStatus.NOT_FOUND);
});

test('reads fail over to the next endpoint; a write that never left is sent to the next one', async () => {
  const twoEndpoints = new EtcdClient({ endpoints: [deadEndpoint, endpoint], conns: 1, dialTimeoutMs: 2_000 });
  try {
    const range = await twoEndpoints.range({ key: text('client-test/b') });
    assert.equal(str(range.kvs[0]!.value), '2');
  } finally {
    twoEndpoints.close();
  }
  // The dead endpoint refuses the connection, so the put provably never reached a server: it is safe
  // to send it to the next endpoint (clientv3's isSafeRetryMutableRPC). Writes that may have been
  // applied are never re-sent (client-core.ts).
  const writer = new EtcdClient({ endpoints: [deadEndpoint, endpoint], conns: 1 });
  try {
    const put = await writer.put({ key: text('client-test/w'), value: text('1') });
    assert.ok(put.header!.revision > 0);
  } finally {
    writer.close();
  }
});

test('dial fails clearly when nothing listens', async () => {
  const dead = new EtcdClient({ endpoints: [deadEndpoint], dialTimeoutMs: 300 });
  try {
    await assert.rejects(dead.dial(), (error: unknown) => error instanceof EtcdClientError &&
      error.grpcCode === GrpcStatus.UNAVAILABLE && /no endpoint ready/.test(error.message));
  } finally {
    dead.close();
  }
  assert.throws(() => new EtcdClient({ endpoints: ['nope'] }), RangeError);
});
