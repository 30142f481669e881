import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { after, test } from 'node:test';
import { silentLogger } from '../platform/logger.js';
import { prepareHaMember, HaSetupError } from './cluster-init.js';
import type { HaOptions } from './cluster-init-options.js';
import { etcdctlEnvText, haLayout, persistMemberName, resolveMemberName } from './ha-layout.js';
import { CLIENT_CERT_COMMON_NAME, ensureClusterCas, ensureMemberCerts, HaPkiError, memberSans } from './ha-pki.js';
import { caHashOf, parseToken } from './token.js';

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-ha-pki-'));
  dirs.push(dir);
  return dir;
}

const initOptions: HaOptions = { mode: 'init', serverUrl: '', token: '', tlsSans: ['ha.example.test', '10.9.8.7'],
  promoteIntervalMs: 1000 };

test('layout paths are absolute and under <data-dir>/server', () => {
  const layout = haLayout('relative/dir');
  assert.ok(layout.serverDir.startsWith('/') && layout.serverDir.endsWith('relative/dir/server'));
  assert.equal(layout.tokenFile, join(layout.serverDir, 'token'));
  assert.equal(layout.serverCaCert, join(layout.serverDir, 'tls', 'server-ca.crt'));
  const env = etcdctlEnvText(layout, 'https://127.0.0.1:2379');
  assert.match(env, /^ETCDCTL_API=3\nETCDCTL_ENDPOINTS=https:\/\/127\.0\.0\.1:2379\nETCDCTL_CACERT=\//);
  assert.ok(env.includes(`ETCDCTL_CERT=${layout.clientCert}\n`) && env.includes(`ETCDCTL_KEY=${layout.clientKey}\n`));
});

test('generated member name is <hostname>-<8 hex>, not written until persisted', async () => {
  const layout = haLayout(tempDir());
  const { name, generated } = await resolveMemberName(layout, undefined);
  assert.equal(generated, true);
  assert.match(name, /-[0-9a-f]{8}$/);
  assert.equal(existsSync(layout.serverDir), false, 'nothing written');
  assert.deepEqual(await resolveMemberName(layout, 'given'), { name: 'given', generated: false });
  await persistMemberName(layout, name);
  assert.deepEqual(await resolveMemberName(layout, undefined), { name, generated: false });
});

test('SANs: loopback, host name, URL hosts and --tls-san, no wildcards or duplicates', () => {
  assert.deepEqual(memberSans('box', ['127.0.0.1', '0.0.0.0', '[::1]', 'node1'], ['x.test', 'node1']),
    ['127.0.0.1', 'localhost', 'box', '::1', 'node1', 'x.test']);
});

test('CAs are created once and never regenerated; leaf certs carry the SANs', async () => {
  const layout = haLayout(tempDir());
  assert.equal(await ensureClusterCas(layout), true);
  const ca = readFileSync(layout.serverCaCert, 'utf8');
  assert.equal(await ensureClusterCas(layout), false);
  assert.equal(readFileSync(layout.serverCaCert, 'utf8'), ca);
  assert.deepEqual(await ensureMemberCerts(layout, 'm1', ['127.0.0.1', 'localhost', 'x.test']), ['server', 'peer', 'client']);
  assert.deepEqual(await ensureMemberCerts(layout, 'm1', ['127.0.0.1']), []);
  const server = new X509Certificate(readFileSync(layout.serverCert));
  assert.ok(server.verify(new X509Certificate(ca).publicKey));
  assert.match(server.subjectAltName ?? '', /DNS:x\.test/);
  assert.match(server.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  const peer = new X509Certificate(readFileSync(layout.peerCert));
  assert.ok(peer.verify(new X509Certificate(readFileSync(layout.peerCaCert)).publicKey));
  assert.equal(peer.verify(new X509Certificate(ca).publicKey), false, 'peer certs come from the peer CA');
  const client = new X509Certificate(readFileSync(layout.clientCert));
  assert.match(client.subject, new RegExp(`CN=${CLIENT_CERT_COMMON_NAME}`));
  for (const key of [layout.serverCaKey, layout.peerCaKey, layout.serverKey, layout.peerKey, layout.clientKey]) {
    assert.equal(statSync(key).mode & 0o777, 0o600, key);
  }
});

test('a CA certificate without its key is refused', async () => {
  const layout = haLayout(tempDir());
  await ensureClusterCas(layout);
  rmSync(layout.peerCaKey);
  await assert.rejects(ensureClusterCas(layout), HaPkiError);
});

test('cluster-init writes token (0600, pins the CA), env file and name; restart keeps them', async () => {
  const dataDir = tempDir();
  const input = { options: initOptions, dataDir, explicitName: undefined, peerUrls: ['https://127.0.0.1:2380'],
    urlHosts: ['127.0.0.1'], clientEndpoint: 'https://127.0.0.1:2379', logger: silentLogger() };
  const first = await prepareHaMember(input);
  const layout = first.layout;
  const token = readFileSync(layout.tokenFile, 'utf8').trim();
  assert.equal(statSync(layout.tokenFile).mode & 0o777, 0o600);
  assert.equal(parseToken(token).caHash, caHashOf(readFileSync(layout.serverCaCert)));
  assert.equal(readFileSync(layout.nameFile, 'utf8').trim(), first.name);
  assert.deepEqual(first.initialCluster, [{ name: first.name, peerUrls: ['https://127.0.0.1:2380'] }]);
  assert.equal(first.initialClusterState, 'new');
  assert.ok(statSync(layout.envFile).isFile());
  const second = await prepareHaMember(input);
  assert.equal(second.name, first.name);
  assert.equal(readFileSync(layout.tokenFile, 'utf8').trim(), token);
  await assert.rejects(prepareHaMember({ ...input, options: { ...initOptions, token: 'other-secret' } }), HaSetupError);
});

test('cluster-init with --token uses it as the secret', async () => {
  const member = await prepareHaMember({ options: { ...initOptions, token: 'my-secret' }, dataDir: tempDir(),
    explicitName: 'n1', peerUrls: ['https://127.0.0.1:2380'], urlHosts: [], clientEndpoint: 'https://127.0.0.1:2379',
    logger: silentLogger() });
  assert.match(readFileSync(member.layout.tokenFile, 'utf8'), /^K10[0-9a-f]{64}::server:my-secret\n$/);
  assert.equal(member.name, 'n1');
});
