/**
 * /health, /livez, /readyz and --listen-metrics-urls on a single member, against real etcd 3.4 where it
 * has the endpoint: healthy → 200 {"health":"true"}; after the NOSPACE alarm (small --quota-backend-bytes)
 * → 503 {"health":"false"} on both (tetcd adds etcd 3.5's reason "ALARM NOSPACE"; `?exclude=NOSPACE` →
 * 200, as etcd 3.5). The metrics listener serves /metrics and /health on both. Also: the db size gauge
 * grows with writes and drops after compaction + defragmentation, on both servers.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { requireOracleBinaries } from '../helpers/binaries.js';
import { subjectKind } from '../helpers/oracle.js';
import { allocatePort } from '../helpers/ports.js';
import { ServerProcess, type ServerKind } from '../helpers/server.js';

const QUOTA_BYTES = 4 * 1024 * 1024;
const DEFRAG_KEYS = 60;
const VALUE_BYTES = 8 * 1024;
/** Values written until NOSPACE, and an upper bound of puts (4 MiB quota). */
const FILL_VALUE_BYTES = 64 * 1024;
const FILL_PUTS_MAX = 400;

interface Member { server: ServerProcess; metricsUrl: string }
const members: Member[] = [];

before(async () => {
  requireOracleBinaries();
  const start = async (kind: ServerKind, name: string): Promise<Member> => {
    const metricsUrl = `http://127.0.0.1:${await allocatePort()}`;
    const server = await ServerProcess.start({ kind, name,
      extraArgs: ['--quota-backend-bytes', String(QUOTA_BYTES), '--listen-metrics-urls', metricsUrl] });
    return { server, metricsUrl };
  };
  members.push(...await Promise.all([start('etcd', 'oracle'), start(subjectKind(), 'subject')]));
});
after(async () => { await Promise.all(members.map((m) => m.server.cleanup())); });

const base64 = (text: string): string => Buffer.from(text).toString('base64');

async function gateway(member: Member, path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${member.server.clientUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

async function health(url: string): Promise<{ status: number; body: Record<string, string> }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() as Record<string, string> };
}

async function gauge(member: Member, name: string): Promise<number> {
  const text = await (await fetch(`${member.metricsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line !== undefined, `${member.server.kind} exports ${name}`);
  return Number(line.split(' ')[1]);
}

test('healthy member: /health 200 on the client and the metrics URL, as etcd', async () => {
  for (const member of members) {
    for (const url of [member.server.clientUrl, member.metricsUrl]) {
      const result = await health(`${url}/health`);
      assert.equal(result.status, 200, `${member.server.kind} ${url}`);
      assert.equal(result.body['health'], 'true');
    }
    assert.equal(await gauge(member, 'etcd_server_has_leader'), 1);
  }
  const subject = members[1]!;
  if (subject.server.kind !== 'tetcd') return;
  assert.deepEqual((await health(`${subject.server.clientUrl}/health`)).body, { health: 'true', reason: '' });
  const livez = await fetch(`${subject.metricsUrl}/livez`);
  assert.deepEqual([livez.status, await livez.text()], [200, '/livez check passed\n']);
  const readyz = await fetch(`${subject.server.clientUrl}/readyz?verbose`);
  assert.deepEqual([readyz.status, await readyz.text()], [200,
    '[+]data_corruption ok\n[+]serializable_read ok\n[+]linearizable_read ok\n/readyz check passed\n']);
  const excluded = await fetch(`${subject.server.clientUrl}/readyz?verbose&exclude=linearizable_read`);
  assert.equal(await excluded.text(), '[+]data_corruption ok\n[+]serializable_read ok\n/readyz check passed\n');
  assert.equal((await fetch(`${subject.server.clientUrl}/readyz/serializable_read`)).status, 200);
  assert.equal((await fetch(`${subject.server.clientUrl}/health`, { method: 'POST' })).status, 405);
});

test('db size grows with writes and drops after compaction and defragmentation, as etcd', async () => {
  for (const member of members) {
    const empty = await gauge(member, 'etcd_mvcc_db_total_size_in_bytes');
    const value = Buffer.alloc(VALUE_BYTES, 7).toString('base64');
    for (let i = 0; i < DEFRAG_KEYS; i++) await gateway(member, '/v3/kv/put', { key: base64(`defrag/${i}`), value });
    const full = await gauge(member, 'etcd_mvcc_db_total_size_in_bytes');
    assert.ok(full > empty, `${member.server.kind}: ${full} > ${empty}`);
    const deleted = await gateway(member, '/v3/kv/deleterange', { key: base64('defrag/'), range_end: base64('defrag0') });
    const revision = (deleted.json as { header: { revision: string } }).header.revision;
    assert.equal((await gateway(member, '/v3/kv/compaction', { revision, physical: true })).status, 200);
    assert.equal((await gateway(member, '/v3/maintenance/defragment', {})).status, 200);
    const after = await gauge(member, 'etcd_mvcc_db_total_size_in_bytes');
    assert.ok(after < full, `${member.server.kind}: ${after} < ${full} after defrag`);
  }
});

test('NOSPACE: /health 503 with health false on both; tetcd gives etcd 3.5\'s reason and honours exclude', async () => {
  const value = Buffer.alloc(FILL_VALUE_BYTES, 1).toString('base64');
  for (const member of members) {
    let refused: unknown;
    for (let i = 0; i < FILL_PUTS_MAX && refused === undefined; i++) {
      const put = await gateway(member, '/v3/kv/put', { key: base64(`fill/${i}`), value });
      if (put.status !== 200) refused = put;
    }
    assert.deepEqual(refused, { status: 429, json: { error: 'etcdserver: mvcc: database space exceeded',
      message: 'etcdserver: mvcc: database space exceeded', code: 8 } }, member.server.kind);
    for (const url of [member.server.clientUrl, member.metricsUrl]) {
      const result = await health(`${url}/health`);
      assert.equal(result.status, 503, `${member.server.kind} ${url}`);
      assert.equal(result.body['health'], 'false');
    }
  }
  const subject = members[1]!;
  if (subject.server.kind !== 'tetcd') return;
  assert.deepEqual((await health(`${subject.server.clientUrl}/health`)).body, { health: 'false', reason: 'ALARM NOSPACE' });
  assert.equal((await fetch(`${subject.server.clientUrl}/health?exclude=NOSPACE`)).status, 200);
  assert.equal((await fetch(`${subject.server.clientUrl}/livez`)).status, 200, 'livez ignores NOSPACE (etcd 3.5)');
  assert.match(await (await fetch(`${subject.metricsUrl}/metrics`)).text(), /etcd_server_health_failures [1-9]/);
});
