/**
 * K3s-style HA (docs/k3s-ha.md): `--cluster-init` then two joins by `--server/--token` on 127.0.0.1 →
 * three voters (learners promoted automatically); Debian etcdctl with the generated tetcdctl.env
 * (`member list -w table`, `endpoint health --cluster`, put/get); a token with a wrong CA hash is refused
 * and writes nothing; a wrong secret gets "token rejected by server"; gRPC without a client certificate is
 * refused while /cacerts answers; a second server named like a member is refused; a restarted joined
 * member rejoins without a new MemberAdd.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as https from 'node:https';
import { after, test } from 'node:test';
import { ETCDCTL_BIN, REPO_ROOT } from '../helpers/binaries.js';
import { waitFor } from '../helpers/cluster-member.js';
import { createHaRoot, etcdctlWithEnv, HaServer, runWithEnvFile } from './ha-join-harness.js';

/** Time for both joiners to be promoted to voters (interval 500 ms in the harness). */
const PROMOTION_TIMEOUT_MS = 60_000;

const root = createHaRoot();
const servers: HaServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  root.cleanup();
});

function httpsGet(url: string, options: https.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, { ...options, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    }).on('error', reject);
  });
}

interface ListedMember { name: string; isLearner?: boolean; ID: string }

async function listMembers(envFile: string): Promise<ListedMember[]> {
  const result = await etcdctlWithEnv(envFile, ['member', 'list', '-w', 'json']);
  assert.equal(result.exitCode, 0, result.stderr);
  // Ids are 64-bit: keep them as strings.
  const json = JSON.parse(result.stdout.replace(/("ID":)(\d+)/g, '$1"$2"')) as { members: ListedMember[] };
  return json.members;
}

let s1: HaServer;

test('--cluster-init creates the PKI, token and tetcdctl.env and serves with mTLS', async () => {
  s1 = await HaServer.create(root, 's1', ['--cluster-init', '--tls-san', 'ha.example.test', '--tls-san', '10.1.2.3']);
  servers.push(s1);
  await s1.start();
  assert.match(s1.token(), /^K10[0-9a-f]{64}::server:[0-9a-f]{32}$/);
  for (const file of ['token', 'tls/server-ca.key', 'tls/peer-ca.key', 'tls/server.key', 'tls/client.key']) {
    assert.equal(statSync(`${s1.serverDir}/${file}`).mode & 0o777, 0o600, file);
  }
  const env = readFileSync(s1.envFile, 'utf8');
  assert.match(env, new RegExp(`ETCDCTL_ENDPOINTS=${s1.clientUrl.replace(/\./g, '\\.')}\n`));
  const put = await etcdctlWithEnv(s1.envFile, ['put', 'ha/k1', 'v1']);
  assert.equal(put.exitCode, 0, put.stderr);
  const tetcdctl = await runWithEnvFile(s1.envFile, [process.execPath, `${REPO_ROOT}bin/tetcdctl`, 'get', 'ha/k1']);
  assert.equal(tetcdctl.stdout, 'ha/k1\nv1\n', tetcdctl.stderr);
});

test('gRPC without a client certificate is refused while /cacerts and the bootstrap auth work', async () => {
  const caPem = readFileSync(`${s1.serverDir}/tls/server-ca.crt`, 'utf8');
  const cacerts = await httpsGet(`${s1.clientUrl}/cacerts`, { rejectUnauthorized: false });
  assert.equal(cacerts.status, 200);
  assert.equal(cacerts.body, caPem);
  const noAuth = await httpsGet(`${s1.clientUrl}/v1-tetcd/server-bootstrap`, { ca: caPem });
  assert.equal(noAuth.status, 401);
  const health = await httpsGet(`${s1.clientUrl}/health`, { ca: caPem });
  assert.equal(health.status, 401, 'other routes still need a client certificate');
  const noCert = await runWithEnvFile(s1.envFile,
    ['env', '-u', 'ETCDCTL_CERT', '-u', 'ETCDCTL_KEY', ETCDCTL_BIN, '--dial-timeout=3s', '--command-timeout=5s', 'get', 'ha/k1']);
  assert.notEqual(noCert.exitCode, 0, noCert.stdout);
  assert.match(noCert.stderr, /client certificate required|Unauthenticated/);
});

test('a token with the wrong CA hash is refused and writes nothing; a wrong secret gets 401', async () => {
  const token = s1.token();
  const wrongHash = `K10${'0'.repeat(64)}${token.slice(3 + 64)}`;
  const joiner = await HaServer.create(root, 'bad', ['--server', s1.clientUrl, '--token', wrongHash]);
  const refused = await joiner.runToExit();
  assert.equal(refused.exitCode, 1, refused.stderr);
  assert.match(refused.stderr, /token CA hash does not match the server's CA/);
  assert.equal(existsSync(joiner.dataDir), false, 'nothing written');
  const wrongSecret = token.replace(/:server:.*$/, ':server:not-the-secret');
  const rejected = await joiner.runToExit(['--token', wrongSecret]);
  assert.equal(rejected.exitCode, 1, rejected.stderr);
  assert.match(rejected.stderr, /token rejected by server/);
  assert.equal(existsSync(joiner.dataDir), false, 'nothing written');
});

test('two servers join by --server/--token and become voters', async () => {
  const token = s1.token();
  const s2 = await HaServer.create(root, 's2', ['--server', s1.clientUrl, '--token', token]);
  const s3 = await HaServer.create(root, 's3', ['--server', s1.clientUrl, '--token', token]);
  servers.push(s2, s3);
  await Promise.all([s2.start(), s3.start()]);
  const members = await waitFor('3 voters', PROMOTION_TIMEOUT_MS, async () => {
    const list = await listMembers(s1.envFile);
    return list.length === 3 && list.every((m) => m.isLearner !== true) ? list : undefined;
  });
  assert.deepEqual(members.map((m) => m.name).sort(), ['s1', 's2', 's3']);
  assert.match(s1.log(), /promoted learner member to voter/);
  const table = await etcdctlWithEnv(s2.envFile, ['member', 'list', '-w', 'table']);
  assert.equal(table.exitCode, 0, table.stderr);
  for (const s of [s1, s2, s3]) assert.ok(table.stdout.includes(s.peerUrl), table.stdout);
  const health = await etcdctlWithEnv(s3.envFile, ['endpoint', 'health', '--cluster']);
  assert.equal(health.exitCode, 0, health.stderr);
  assert.equal((health.stdout + health.stderr).match(/is healthy/g)?.length, 3, health.stdout + health.stderr);
  const put = await etcdctlWithEnv(s3.envFile, ['put', 'ha/k2', 'v2']);
  assert.equal(put.exitCode, 0, put.stderr);
  const get = await etcdctlWithEnv(s2.envFile, ['get', 'ha/', '--prefix']);
  assert.equal(get.stdout, 'ha/k1\nv1\nha/k2\nv2\n');
  const duplicate = await HaServer.create(root, 'dup', ['--server', s1.clientUrl, '--token', token]);
  const refused = await duplicate.runToExit(['--name', 's2']);
  assert.equal(refused.exitCode, 1, refused.stderr);
  assert.match(refused.stderr, /duplicate member name 's2'/);
  assert.equal((await listMembers(s1.envFile)).length, 3);
});

test('a restarted joined member starts on its data without a new MemberAdd', async () => {
  const s2 = servers.find((s) => s.name === 's2')!;
  const before = (await listMembers(s1.envFile)).map((m) => m.ID).sort();
  await s2.stop();
  await s2.start();
  assert.doesNotMatch(s2.logSinceStart(), /added this member to the cluster/);
  assert.match(s2.logSinceStart(), /member data exists/);
  assert.deepEqual((await listMembers(s1.envFile)).map((m) => m.ID).sort(), before);
  const get = await etcdctlWithEnv(s2.envFile, ['get', 'ha/k2', '--print-value-only']);
  assert.equal(get.stdout, 'v2\n');
});
