import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createCa, issueCert } from '../pki/index.js';
import { silentLogger } from '../platform/logger.js';
import { createBootstrapHandler } from './bootstrap-handler.js';
import { haLayout } from './ha-layout.js';
import type { BootstrapMaterial } from './ha-pki.js';
import { ensureMember, JoinError, joinCluster } from './join.js';
import { formatToken } from './token.js';

const SECRET = 'join-secret';
let server: https.Server;
let url = '';
let material: BootstrapMaterial;
const dirs: string[] = [];

before(async () => {
  material = { serverCa: await createCa({ commonName: 'test-server-ca' }), peerCa: await createCa({ commonName: 'test-peer-ca' }) };
  const cert = await issueCert(material.serverCa, { commonName: 'srv', sans: ['127.0.0.1'], usage: 'server' });
  const handler = createBootstrapHandler({ secret: SECRET,
    caBundlePem: () => Promise.resolve(material.serverCa.certPem), material: () => Promise.resolve(material),
    members: () => [] });
  server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (request, response) => {
    if (!handler(request, response, false)) { response.writeHead(404); response.end(); }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function options(token: string): Parameters<typeof joinCluster>[0] & { dataDir: string } {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'tetcd-join-')), 'member-data');
  dirs.push(join(dataDir, '..'));
  return { dataDir, serverUrl: url, token, layout: haLayout(dataDir), memberName: 'j1',
    peerUrls: ['https://127.0.0.1:1'], sans: ['127.0.0.1'], logger: silentLogger(), memberAddTimeoutMs: 1000,
    requestTimeoutMs: 1000 };
}

test('a token pinning another CA is refused before anything is written', async () => {
  const other = await createCa({ commonName: 'other' });
  const o = options(formatToken(other.certPem, SECRET));
  await assert.rejects(joinCluster(o),
    (e: Error) => e instanceof JoinError && /token CA hash does not match the server's CA/.test(e.message));
  assert.equal(existsSync(o.dataDir), false);
});

test('a wrong secret is rejected by the server (401) before anything is written', async () => {
  const o = options(formatToken(material.serverCa.certPem, 'wrong'));
  await assert.rejects(joinCluster(o), /token rejected by server/);
  assert.equal(existsSync(o.dataDir), false);
});

test('the right token installs the CAs, own certs and the full token, then needs the cluster', async () => {
  for (const token of [formatToken(material.serverCa.certPem, SECRET), SECRET]) {
    const o = options(token);
    // No gRPC member behind this fake server: the join fails at MemberList, after the PKI is written.
    await assert.rejects(joinCluster(o), /joining through .* failed/);
    assert.equal(readFileSync(o.layout.serverCaKey, 'utf8'), material.serverCa.keyPem);
    assert.equal(readFileSync(o.layout.peerCaCert, 'utf8'), material.peerCa.certPem);
    assert.ok(existsSync(o.layout.clientCert) && existsSync(o.layout.peerCert) && existsSync(o.layout.serverCert));
    assert.equal(readFileSync(o.layout.tokenFile, 'utf8').trim(), formatToken(material.serverCa.certPem, SECRET));
  }
});

test('malformed tokens and URLs are refused', async () => {
  await assert.rejects(joinCluster(options('K10abc::server:x')), /invalid token/);
  await assert.rejects(joinCluster({ ...options(SECRET), serverUrl: 'http://127.0.0.1:1' }), /https/);
});

test('ensureMember lists again after a MemberAdd that timed out but was applied, and never adds twice', async () => {
  const { EtcdClientError } = await import('../client/index.js');
  const peerUrls = ['https://127.0.0.1:12380'];
  const listed: Array<{ ID: bigint; name: string; peerURLs: string[]; clientURLs: string[]; isLearner: boolean }> = [
    { ID: 1n, name: 's1', peerURLs: ['https://127.0.0.1:2380'], clientURLs: [], isLearner: false },
  ];
  let adds = 0;
  const timedOut = (): Error => new EtcdClientError({ grpcCode: 14, message: 'etcdserver: request timed out',
    method: '/etcdserverpb.Cluster/MemberAdd', endpoint: '127.0.0.1:2379' });
  const client = {
    memberList: () => Promise.resolve({ members: listed.map((m) => ({ ...m })) }),
    memberAdd: () => {
      adds += 1;
      // The proposal commits, but the answer never arrives.
      listed.push({ ID: 2n, name: '', peerURLs: [...peerUrls], clientURLs: [], isLearner: true });
      return Promise.reject(timedOut());
    },
  } as unknown as Parameters<typeof ensureMember>[0];
  const result = await ensureMember(client, { memberName: 's2', peerUrls, logger: silentLogger(), memberAddTimeoutMs: 10_000 });
  assert.equal(adds, 1, 'the timed-out add was found by the next list, not sent again');
  assert.equal(result.added, false);
  assert.ok(result.members.some((m) => m.ID === 2n));
});

test('ensureMember gives up on a non-transient error at once', async () => {
  const { EtcdClientError } = await import('../client/index.js');
  const client = {
    memberList: () => Promise.resolve({ members: [] }),
    memberAdd: () => Promise.reject(new EtcdClientError({ grpcCode: 9, message: 'etcdserver: Peer URLs already exists',
      method: '/etcdserverpb.Cluster/MemberAdd', endpoint: '127.0.0.1:2379' })),
  } as unknown as Parameters<typeof ensureMember>[0];
  await assert.rejects(ensureMember(client, { memberName: 's2', peerUrls: ['https://127.0.0.1:12380'],
    logger: silentLogger(), memberAddTimeoutMs: 60_000 }), /Peer URLs already exists/);
});
