/**
 * Client TLS against the oracle: real etcd and tetcd both run with https:// client URLs, client-cert
 * auth and a CRL (certificates from src/pki). Debian's etcdctl with --cacert/--cert/--key works on both;
 * without a client certificate, with a revoked one, or with one from another CA, both refuse and etcdctl
 * prints the same (normalised) error with the same exit code. curl https://.../health with the client
 * certificate answers healthy; without it curl fails on both. Then auto-TLS: a tetcd with --auto-tls and
 * --peer-auto-tls serves etcdctl --insecure-skip-tls-verify from self-signed fixtures in the data dir.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runEtcdctl, type EtcdctlResult } from '../helpers/etcdctl.js';
import { lineDiff } from '../helpers/diff.js';
import { normaliseOutput } from '../helpers/normalise.js';
import { subjectKind } from '../helpers/oracle.js';
import { ServerProcess } from '../helpers/server.js';
import { clientMtlsFlags, createTlsFixtures, etcdctlTlsArgs, type TlsFixtures } from '../helpers/tls-fixtures.js';
import { readCertificate } from '../../src/pki/index.js';

/** etcdctl gives up on a refused endpoint after this (keeps the refused cases short). */
const REFUSED_TIMEOUT_FLAGS = ['--dial-timeout=1s', '--command-timeout=2s'];
const CURL_TIMEOUT_S = 10;

let fixtures: TlsFixtures | undefined;
const servers: ServerProcess[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.cleanup()));
  fixtures?.cleanup();
});

function normalised(result: EtcdctlResult, server: ServerProcess): EtcdctlResult {
  const endpoints = [server.endpoint, server.clientUrl];
  return { stdout: normaliseOutput(result.stdout, { endpoints }), stderr: normaliseOutput(result.stderr, { endpoints }),
    exitCode: result.exitCode };
}

/** Runs etcdctl against both servers in parallel; returns a report when they differ, else undefined. */
async function compare(oracle: ServerProcess, subject: ServerProcess, args: readonly string[]): Promise<{
  oracle: EtcdctlResult; subject: EtcdctlResult; mismatch: string | undefined }> {
  const [o, s] = await Promise.all([oracle, subject].map(async (server) =>
    normalised(await runEtcdctl(server.endpoint, args), server)));
  const problems = [];
  if (o!.exitCode !== s!.exitCode) problems.push(`exit code: oracle ${o!.exitCode}, subject ${s!.exitCode}`);
  const out = lineDiff(o!.stdout, s!.stdout);
  if (out !== '') problems.push(`stdout differs:\n${out}`);
  const err = lineDiff(o!.stderr, s!.stderr);
  if (err !== '') problems.push(`stderr differs:\n${err}`);
  return { oracle: o!, subject: s!, mismatch: problems.length === 0 ? undefined : `$ etcdctl ${args.join(' ')}\n${problems.join('\n')}` };
}

/** curl's exit code and body (stdout). */
function curl(args: readonly string[]): Promise<{ exitCode: number; body: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-s', '--max-time', String(CURL_TIMEOUT_S), ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let body = '';
    child.stdout.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ exitCode: code ?? -1, body }));
  });
}

test('client mTLS and CRL: etcdctl and curl against etcd and tetcd', async () => {
  fixtures = await createTlsFixtures();
  const f = fixtures;
  const options = { clientScheme: 'https' as const, extraArgs: clientMtlsFlags(f) };
  const [oracle, subject] = await Promise.all([
    ServerProcess.start({ kind: 'etcd', name: 'oracle', ...options }),
    ServerProcess.start({ kind: subjectKind(), name: 'subject', ...options }),
  ]);
  servers.push(oracle, subject);
  const problems: string[] = [];
  const check = async (label: string, args: readonly string[], expectExit: 'zero' | 'nonzero'): Promise<void> => {
    const result = await compare(oracle, subject, args);
    if (result.mismatch !== undefined) problems.push(`${label}: ${result.mismatch}`);
    const ok = expectExit === 'zero' ? result.subject.exitCode === 0 : result.subject.exitCode !== 0;
    if (!ok) problems.push(`${label}: subject exit ${result.subject.exitCode}\n${result.subject.stderr}`);
  };
  await check('put with client cert', [...etcdctlTlsArgs(f), 'put', 'k', 'v'], 'zero');
  await check('get with client cert', [...etcdctlTlsArgs(f), 'get', 'k', '-w', 'json'], 'zero');
  await check('no client cert', [...etcdctlTlsArgs(f, null), ...REFUSED_TIMEOUT_FLAGS, 'put', 'k', 'x'], 'nonzero');
  await check('revoked client cert', [...etcdctlTlsArgs(f, f.revoked), ...REFUSED_TIMEOUT_FLAGS, 'put', 'k', 'x'],
    'nonzero');
  await check('client cert from another CA', [...etcdctlTlsArgs(f, f.foreignClient), ...REFUSED_TIMEOUT_FLAGS,
    'put', 'k', 'x'], 'nonzero');
  await check('value unchanged', [...etcdctlTlsArgs(f), 'get', 'k', '--print-value-only'], 'zero');

  const withCert = ['--cacert', f.caFile, '--cert', f.client.cert, '--key', f.client.key];
  for (const server of [oracle, subject]) {
    const healthy = await curl([...withCert, `${server.clientUrl}/health`]);
    assert.equal(healthy.exitCode, 0, `${server.kind}: curl /health with a client cert`);
    assert.equal((JSON.parse(healthy.body) as { health: string }).health, 'true', healthy.body);
  }
  const refused = await Promise.all([oracle, subject].map((s) => curl(['--cacert', f.caFile, `${s.clientUrl}/health`])));
  assert.notEqual(refused[1]!.exitCode, 0, 'curl without a client cert must fail on the subject');
  // TLS 1.3 rejects a missing client certificate after curl's side of the handshake is done, so curl reports
  // a send (55) or a receive (56) failure depending on timing, with either server.
  const resetCode = (code: number): number => (code === 55 ? 56 : code);
  assert.equal(resetCode(refused[1]!.exitCode), resetCode(refused[0]!.exitCode),
    'curl exit code without a client cert (oracle vs subject)');
  const plain = await curl([`http://${subject.endpoint}/health`]);
  assert.notEqual(plain.exitCode, 0, 'plain-text HTTP to the TLS port must fail');
  assert.deepEqual(problems, [], problems.join('\n\n'));
});

test('auto-TLS: self-signed client and peer certificates in <data-dir>/fixtures', async () => {
  const server = await ServerProcess.start({ kind: subjectKind(), name: 'autotls', clientScheme: 'https',
    peerScheme: 'https', extraArgs: ['--auto-tls', '--peer-auto-tls', '--self-signed-cert-validity', '2'] });
  servers.push(server);
  // An https:// endpoint makes etcdctl use TLS; the self-signed certificate is not verified.
  const put = await runEtcdctl(server.clientUrl, ['--insecure-transport=false', '--insecure-skip-tls-verify', 'put', 'auto', 'tls']);
  assert.equal(put.exitCode, 0, put.stderr);
  const get = await runEtcdctl(server.clientUrl, ['--insecure-transport=false', '--insecure-skip-tls-verify', 'get', 'auto', '--print-value-only']);
  assert.equal(get.stdout, 'tls\n', get.stderr);
  const refused = await runEtcdctl(server.endpoint, [...REFUSED_TIMEOUT_FLAGS, 'get', 'auto']);
  assert.notEqual(refused.exitCode, 0, 'plain-text etcdctl against the TLS port must fail');
  for (const side of ['client', 'peer']) {
    const info = readCertificate(readFileSync(join(server.dataDir, 'fixtures', side, 'cert.pem')));
    assert.ok(info.sans.includes('127.0.0.1'), `${side} cert SANs ${info.sans.join(',')}`);
    const years = (info.notAfter.getTime() - info.notBefore.getTime()) / (365 * 86_400_000);
    assert.ok(years > 1.99 && years < 2.01, `${side} cert validity ${years} years`);
  }
});
