/**
 * Client-certificate users (etcd: with --client-cert-auth and no token, the verified certificate's
 * common name is the user) on real etcd 3.4 and tetcd, both with client mTLS (tests/helpers/tls-fixtures):
 * the certificate CN `root` administers, CN `member` gets exactly its role's permissions, a token still
 * takes precedence over the certificate, and the same etcdctl commands give the same results.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { compareEtcdctl, subjectKind, type OraclePair } from '../helpers/oracle.js';
import { requireOracleBinaries } from '../helpers/binaries.js';
import { ServerProcess } from '../helpers/server.js';
import { clientMtlsFlags, createTlsFixtures, etcdctlTlsArgs, type TlsFixtures } from '../helpers/tls-fixtures.js';

let fixtures: TlsFixtures | undefined;
let pair: OraclePair | undefined;

before(async () => {
  requireOracleBinaries();
  fixtures = await createTlsFixtures();
  const options = { clientScheme: 'https' as const, extraArgs: [...clientMtlsFlags(fixtures, false), '--bcrypt-cost', '4'] };
  const [oracle, subject] = await Promise.all([
    ServerProcess.start({ kind: 'etcd', name: 'oracle', ...options }),
    ServerProcess.start({ kind: subjectKind(), name: 'subject', ...options }),
  ]);
  pair = { oracle, subject };
});

after(async () => {
  if (pair !== undefined) await Promise.all([pair.oracle.cleanup(), pair.subject.cleanup()]);
  fixtures?.cleanup();
});

test('the client certificate CN is the user when no token is given', async () => {
  const f = fixtures!;
  const asRoot = etcdctlTlsArgs(f);
  const asMember = etcdctlTlsArgs(f, f.member);
  const steps = [
    [...asRoot, 'user', 'add', 'root', '--new-user-password=rootpw'],
    [...asRoot, 'user', 'grant-role', 'root', 'root'],
    [...asRoot, 'auth', 'enable'],
    [...asRoot, 'user', 'list'],
    [...asRoot, 'put', '/k', 'v'],
    [...asMember, 'get', '/k'],
    [...asRoot, 'user', 'add', 'member', '--no-password'],
    [...asRoot, 'role', 'add', 'reader'],
    [...asRoot, 'role', 'grant-permission', 'reader', 'read', '/k'],
    [...asRoot, 'user', 'grant-role', 'member', 'reader'],
    [...asMember, 'get', '/k'],
    [...asMember, 'put', '/k', 'w'],
    [...asMember, 'user', 'list'],
    [...asMember, '--user', 'member:x', 'get', '/k'],
    [...asMember, '--user', 'root:rootpw', 'put', '/k', 'w2'],
    [...asRoot, 'get', '/k'],
    [...asRoot, 'auth', 'disable'],
  ];
  const mismatches: string[] = [];
  for (const args of steps) {
    const result = await compareEtcdctl(pair!, args);
    if (result.mismatch !== undefined) mismatches.push(result.mismatch);
    if (process.env['AUTH_E2E_VERBOSE'] === '1') {
      console.log(`$ ${args.slice(-4).join(' ')}\n${result.oracle.stdout}${result.oracle.stderr}exit ${result.oracle.exitCode}`);
    }
  }
  assert.equal(mismatches.length, 0, mismatches.join('\n\n'));
});
