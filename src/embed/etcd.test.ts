/**
 * In-process integration test of a whole member through the public embedding API: gRPC on tetcd's
 * node:http2 server, HTTP endpoints on the same port, request limits and the NOSPACE alarm path.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClient, EtcdClientError, pb } from '../client/index.js';
import { silentLogger } from '../platform/logger.js';
import { buildServerConfig } from './config.js';
import { startEtcd, type EmbeddedEtcd } from './etcd.js';
import { parseServerFlags } from './flag-parser.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
let member: EmbeddedEtcd;
let client: EtcdClient;
let base: string;
const dir = mkdtempSync(join(tmpdir(), 'tetcd-embed-'));

before(async () => {
  const config = buildServerConfig(parseServerFlags([
    '--data-dir', join(dir, 'data'), '--listen-client-urls', 'http://127.0.0.1:0',
    '--listen-peer-urls', 'http://127.0.0.1:0', '--quota-backend-bytes', String(400 * 1024),
    '--max-request-bytes', String(64 * 1024),
  ], {}));
  member = await startEtcd(config, silentLogger());
  base = `http://127.0.0.1:${member.clientPorts[0]}`;
  client = new EtcdClient({ endpoints: [`127.0.0.1:${member.clientPorts[0]}`] });
  await client.dial();
});

after(async () => {
  client.close();
  await member.close();
  rmSync(dir, { recursive: true, force: true });
});

test('gRPC put and linearizable get through the node:http2 server', async () => {
  const put = await client.put({ key: enc('a'), value: enc('1') });
  assert.equal(put.header?.memberId, member.server.memberId);
  const got = await client.range({ key: enc('a') });
  assert.equal(new TextDecoder().decode(got.kvs[0]!.value), '1');
  assert.equal(got.header?.revision, put.header?.revision);
});

test('/health and /version over HTTP/1.1 on the client port', async () => {
  const health = await fetch(`${base}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { health: 'true', reason: '' });
  const version = await (await fetch(`${base}/version`)).json() as Record<string, string>;
  assert.ok(version['etcdserver'] !== undefined && version['etcdcluster'] !== undefined);
  assert.equal((await fetch(`${base}/nope`)).status, 404);
});

test('a request over --max-request-bytes is refused with etcd\'s error and writes nothing', async () => {
  const before = (await client.range({ key: enc('big') })).header!.revision;
  await assert.rejects(client.put({ key: enc('big'), value: new Uint8Array(70 * 1024) }),
    (error: unknown) => error instanceof EtcdClientError && error.message === 'etcdserver: request is too large');
  await assert.rejects(client.put({ key: enc('big'), value: new Uint8Array(700 * 1024) }),
    (error: unknown) => error instanceof EtcdClientError && /received message larger than max/.test(error.message));
  const after = await client.range({ key: enc('big') });
  assert.equal(after.kvs.length, 0);
  assert.equal(after.header!.revision, before);
});

test('quota exceeded raises NOSPACE: puts fail, reads and deletes work, /health is 503 until disarmed', async () => {
  let failed: unknown;
  for (let i = 0; i < 100 && failed === undefined; i++) {
    await client.put({ key: enc(`fill/${i}`), value: new Uint8Array(30 * 1024) }).catch((e: unknown) => { failed = e; });
  }
  assert.ok(failed instanceof EtcdClientError && failed.message === 'etcdserver: mvcc: database space exceeded');
  const alarms = await client.alarm({ action: pb.AlarmRequest_AlarmAction.GET });
  assert.equal(alarms.alarms[0]?.alarm, pb.AlarmType.NOSPACE);
  const health = await fetch(`${base}/health`);
  assert.equal(health.status, 503);
  assert.deepEqual(await health.json(), { health: 'false', reason: 'ALARM NOSPACE' });
  assert.equal((await fetch(`${base}/health?exclude=NOSPACE`)).status, 200);
  assert.ok((await client.range({ key: enc('fill/0') })).kvs.length === 1, 'reads still work');
  const deleted = await client.deleteRange({ key: enc('fill/'), rangeEnd: enc('fill0') });
  assert.ok(deleted.deleted > 0, 'deletes still work');
  const status = await client.status({});
  assert.match(status.errors[0] ?? '', /^memberID:\d+ alarm:NOSPACE $/);
  await client.alarm({ action: pb.AlarmRequest_AlarmAction.DEACTIVATE, memberID: member.server.memberId,
    alarm: pb.AlarmType.NOSPACE });
  await client.compact({ revision: status.header!.revision, physical: true });
  await client.defragment({});
  await client.put({ key: enc('after'), value: enc('ok') });
  assert.equal((await fetch(`${base}/health`)).status, 200);
});
