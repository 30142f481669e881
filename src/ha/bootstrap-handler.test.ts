import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  basicAuthMatches, createBootstrapHandler, dbInfoJson, type BootstrapRequest, type BootstrapResponse,
} from './bootstrap-handler.js';

const material = { serverCa: { certPem: 'SERVER-CA', keyPem: 'SERVER-KEY' }, peerCa: { certPem: 'PEER-CA', keyPem: 'PEER-KEY' } };
const bigId = 17221338068156643453n;
const handler = createBootstrapHandler({
  secret: 's3cret', caBundlePem: () => Promise.resolve('CA-PEM'), material: () => Promise.resolve(material),
  members: () => [{ id: bigId, name: 's1', peerUrls: ['https://127.0.0.1:2380'], clientUrls: ['https://127.0.0.1:2379'],
    isLearner: false }],
});

function basic(userPass: string): string {
  return `Basic ${Buffer.from(userPass).toString('base64')}`;
}

/** Runs the handler; resolves with status/body, or 'not-mine' when it declines the path. */
function call(path: string, options: { auth?: string; method?: string; cert?: boolean } = {}):
  Promise<{ status: number; body: string; headers: Record<string, string> } | 'not-mine'> {
  return new Promise((resolve) => {
    const request: BootstrapRequest = { url: path, method: options.method ?? 'GET',
      headers: options.auth === undefined ? {} : { authorization: options.auth } };
    let status = 0;
    let headers: Record<string, string> = {};
    const response: BootstrapResponse = {
      writeHead: (code, h) => { status = code; headers = h ?? {}; },
      end: (body) => resolve({ status, body: body ?? '', headers }),
    };
    if (!handler(request, response, options.cert ?? false)) resolve('not-mine');
  });
}

test('other paths are not handled', async () => {
  assert.equal(await call('/health'), 'not-mine');
  assert.equal(await call('/v3/kv/range'), 'not-mine');
});

test('/cacerts needs no authentication', async () => {
  assert.deepEqual(await call('/cacerts').then((r) => r !== 'not-mine' && [r.status, r.body]), [200, 'CA-PEM']);
});

test('server-bootstrap: 401 without or with wrong credentials, JSON with the right ones', async () => {
  for (const auth of [undefined, basic('server:wrong'), basic('admin:s3cret'), 'Bearer s3cret', basic('server:s3cret2')]) {
    const r = await call('/v1-tetcd/server-bootstrap', auth === undefined ? { cert: true } : { auth, cert: true });
    assert.ok(r !== 'not-mine');
    assert.equal(r.status, 401, String(auth));
    assert.match(r.headers['www-authenticate'] ?? '', /^Basic /);
  }
  const ok = await call('/v1-tetcd/server-bootstrap?x=1', { auth: basic('server:s3cret') });
  assert.ok(ok !== 'not-mine');
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.body), material);
});

test('/db/info: basic auth or a verified client certificate; ids as decimal strings', async () => {
  const denied = await call('/db/info');
  assert.ok(denied !== 'not-mine' && denied.status === 401);
  for (const options of [{ auth: basic('server:s3cret') }, { cert: true }]) {
    const r = await call('/db/info', options);
    assert.ok(r !== 'not-mine');
    assert.equal(r.status, 200);
    assert.ok(r.body.includes('"ID":"17221338068156643453"'), r.body);
  }
});

test('non-GET methods get 405', async () => {
  const r = await call('/cacerts', { method: 'POST' });
  assert.ok(r !== 'not-mine' && r.status === 405);
});

test('basicAuthMatches and dbInfoJson', () => {
  assert.equal(basicAuthMatches(basic('server:a:b'), 'a:b'), true);
  assert.equal(basicAuthMatches(['x'], 'a'), false);
  assert.equal(dbInfoJson([]), '{"members":[]}');
  assert.deepEqual(JSON.parse(dbInfoJson([{ id: 1n, name: '', peerUrls: ['p'], clientUrls: [], isLearner: true }])),
    { members: [{ ID: '1', name: '', peerURLs: ['p'], clientURLs: [], isLearner: true }] });
});
