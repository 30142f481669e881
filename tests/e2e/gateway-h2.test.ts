/**
 * The JSON gateway over HTTP/2: h2c (prior knowledge) on a plain client URL, and h2 negotiated by ALPN on a
 * TLS client URL (what `curl https://...` does by default). Put, range, a streamed watch that sees a later put,
 * and an error answer must look as they do over HTTP/1.1 (tests/e2e/gateway.test.ts compares those with etcd).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildServerConfig } from '../../src/embed/config.js';
import { startEtcd, type EmbeddedEtcd } from '../../src/embed/etcd.js';
import { parseServerFlags } from '../../src/embed/flag-parser.js';
import { silentLogger } from '../../src/platform/logger.js';
import { createTlsFixtures, type TlsFixtures } from '../helpers/tls-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'tetcd-gateway-h2-'));
const members: EmbeddedEtcd[] = [];
let fixtures: TlsFixtures | undefined;
after(async () => {
  for (const member of members) await member.close();
  fixtures?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (text: string): string => Buffer.from(text).toString('base64');

async function startMember(name: string, scheme: 'http' | 'https', extra: string[]): Promise<number> {
  const config = buildServerConfig(parseServerFlags([
    '--name', name, '--data-dir', join(dir, name), '--listen-client-urls', `${scheme}://127.0.0.1:0`,
    '--advertise-client-urls', `${scheme}://127.0.0.1:2379`, '--listen-peer-urls', 'http://127.0.0.1:0',
    '--initial-advertise-peer-urls', 'http://127.0.0.1:2380', '--initial-cluster', `${name}=http://127.0.0.1:2380`,
    '--unsafe-no-fsync', ...extra,
  ], {}));
  const member = await startEtcd(config, silentLogger());
  members.push(member);
  return member.clientPorts[0]!;
}

/** One POST over an HTTP/2 session; resolves with the status and the whole body. */
function post(session: http2.ClientHttp2Session, path: string, body: string):
  Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json' });
    let status = 0;
    let text = '';
    stream.setEncoding('utf8');
    stream.on('response', (headers) => { status = Number(headers[':status']); });
    stream.on('data', (chunk: string) => { text += chunk; });
    stream.on('end', () => resolve({ status, body: text }));
    stream.on('error', reject);
    stream.end(body);
  });
}

/** Opens a watch stream, waits for `created`, runs `during`, and returns the next event line. */
function watchOnce(session: http2.ClientHttp2Session, key: string, during: () => Promise<unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': '/v3/watch', 'content-type': 'application/json' });
    let buffer = '';
    let created = false;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = JSON.parse(buffer.slice(0, nl)) as { result: { created?: boolean; events?: unknown[] } };
        buffer = buffer.slice(nl + 1);
        if (!created && line.result.created === true) {
          created = true;
          during().catch(reject);
        } else if ((line.result.events ?? []).length > 0) {
          stream.close();
          resolve(line.result.events![0]);
        }
      }
    });
    stream.on('error', reject);
    stream.write(JSON.stringify({ create_request: { key: b64(key) } }));
  });
}

async function exercise(session: http2.ClientHttp2Session): Promise<void> {
  const put = await post(session, '/v3/kv/put', JSON.stringify({ key: b64('h2/a'), value: b64('one') }));
  assert.equal(put.status, 200, put.body);
  assert.match(put.body, /"header":\{"cluster_id":"\d+","member_id":"\d+","revision":"2","raft_term":"\d+"\}/);
  const range = await post(session, '/v3/kv/range', JSON.stringify({ key: b64('h2/a') }));
  assert.equal(range.status, 200, range.body);
  const kv = (JSON.parse(range.body) as { kvs: Array<{ value: string; mod_revision: string }> }).kvs[0]!;
  assert.deepEqual([Buffer.from(kv.value, 'base64').toString(), kv.mod_revision], ['one', '2']);
  const event = await watchOnce(session, 'h2/b',
    () => post(session, '/v3/kv/put', JSON.stringify({ key: b64('h2/b'), value: b64('two') })));
  assert.equal(Buffer.from((event as { kv: { value: string } }).kv.value, 'base64').toString(), 'two');
  const bad = await post(session, '/v3/kv/put', JSON.stringify({ key: '' }));
  assert.equal(bad.status, 400, bad.body);
  assert.match(bad.body, /"error":"etcdserver: key is not provided"/);
}

test('the JSON gateway answers over h2c (prior knowledge)', async () => {
  const port = await startMember('h2c', 'http', []);
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    await exercise(session);
  } finally {
    session.close();
  }
});

test('the JSON gateway answers over h2 negotiated by ALPN on a TLS client URL', async () => {
  fixtures = await createTlsFixtures();
  const port = await startMember('h2tls', 'https', [
    '--cert-file', fixtures.member.cert, '--key-file', fixtures.member.key, '--trusted-ca-file', fixtures.caFile,
    '--client-cert-auth',
  ]);
  const session = http2.connect(`https://127.0.0.1:${port}`, {
    ca: readFileSync(fixtures.caFile), cert: readFileSync(fixtures.client.cert), key: readFileSync(fixtures.client.key),
  });
  try {
    await exercise(session);
  } finally {
    session.close();
  }
});
