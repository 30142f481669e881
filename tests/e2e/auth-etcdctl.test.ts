/**
 * Auth flows through Debian's etcdctl on real etcd 3.4 and on tetcd: the same `user`, `role`, `auth`,
 * KV, txn, watch and maintenance commands, with and without credentials, must give the same normalised
 * stdout, stderr and exit code. Covers root rules (enable without root, deleting root, revoking root's
 * role), permission denied inside a txn branch that is not taken, a denied watch, prefix, from-key and
 * single-key permissions, password changes and token-less requests. Both servers use --bcrypt-cost 4.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { compareEtcdctl, subjectKind, type OraclePair } from '../helpers/oracle.js';
import { requireOracleBinaries } from '../helpers/binaries.js';
import { ServerProcess } from '../helpers/server.js';

const ROOT = ['--user', 'root:rootpw'];
const ALICE = ['--user', 'alice:apw'];
const BOB = ['--user', 'bob:bpw'];

interface Step { args: string[]; stdin?: string }
const step = (...args: string[]): Step => ({ args });

let pair: OraclePair | undefined;

before(async () => {
  requireOracleBinaries();
  const extraArgs = ['--bcrypt-cost', '4'];
  const [oracle, subject] = await Promise.all([
    ServerProcess.start({ kind: 'etcd', name: 'oracle', extraArgs }),
    ServerProcess.start({ kind: subjectKind(), name: 'subject', extraArgs }),
  ]);
  pair = { oracle, subject };
});

after(async () => {
  if (pair !== undefined) await Promise.all([pair.oracle.cleanup(), pair.subject.cleanup()]);
});

/** Runs every step on both servers; fails with all mismatches (the first one matters most). */
async function runSteps(steps: readonly Step[]): Promise<void> {
  const mismatches: string[] = [];
  for (const s of steps) {
    const options = s.stdin === undefined ? {} : { stdin: s.stdin };
    const result = await compareEtcdctl(pair!, s.args, options);
    if (result.mismatch !== undefined) mismatches.push(result.mismatch);
    if (process.env['AUTH_E2E_VERBOSE'] === '1') {
      console.log(`$ etcdctl ${s.args.join(' ')}\n${result.oracle.stdout}${result.oracle.stderr}exit ${result.oracle.exitCode}`);
    }
  }
  assert.equal(mismatches.length, 0, mismatches.join('\n\n'));
}

const TXN_DENIED_FAILURE_BRANCH = 'value("/a/x") = "1"\n\nput /a/y 2\n\nput /b/y 3\n\n';
const TXN_DENIED_COMPARE = 'value("/b/x") = "1"\n\nput /a/y 2\n\n\n';
const TXN_ALLOWED = 'value("/a/x") = "1"\n\nput /a/y 2\nget /ro\n\ndel /a/nothing\n\n';

test('users and roles before auth is enabled', async () => {
  await runSteps([
    step('auth', 'enable'),
    step('user', 'add', 'root', '--new-user-password=rootpw'),
    step('user', 'add', 'root', '--new-user-password=again'),
    step('user', 'add', 'alice', '--new-user-password=apw'),
    step('user', 'add', 'bob', '--new-user-password=bpw'),
    step('user', 'add', 'nopw', '--no-password'),
    step('role', 'add', 'r1'),
    step('role', 'add', 'r1'),
    step('role', 'add', 'ro'),
    step('role', 'grant-permission', 'r1', 'readwrite', '/a/', '--prefix'),
    step('role', 'grant-permission', 'r1', 'read', '/ro'),
    step('role', 'grant-permission', 'ro', 'read', '/z', '--from-key'),
    step('role', 'grant-permission', 'nosuch', 'read', '/x'),
    step('user', 'grant-role', 'alice', 'r1'),
    step('user', 'grant-role', 'alice', 'r1'),
    step('user', 'grant-role', 'bob', 'ro'),
    step('user', 'grant-role', 'alice', 'nosuch'),
    step('user', 'grant-role', 'nosuch', 'r1'),
    step('role', 'get', 'r1'),
    step('role', 'get', 'ro'),
    step('role', 'get', 'nosuch'),
    step('role', 'list'),
    step('user', 'get', 'alice'),
    step('user', 'get', 'nosuch'),
    step('user', 'list'),
    step('put', '/a/x', '1'),
    step('put', '/b/x', '1'),
    step('put', '/ro', 'r'),
    step('put', '/zz', 'z'),
  ]);
});

test('enabling auth and the root rules', async () => {
  await runSteps([
    step('auth', 'enable'),
    step('user', 'list'),
    step(...ROOT, 'user', 'list'),
    step(...ROOT, 'role', 'list'),
    step(...ROOT, 'role', 'get', 'root'),
    step(...ROOT, 'user', 'get', 'root'),
    step(...ROOT, 'user', 'delete', 'root'),
    step(...ROOT, 'role', 'delete', 'root'),
    step(...ROOT, 'user', 'revoke-role', 'root', 'root'),
    step(...ALICE, 'user', 'list'),
    step(...ALICE, 'user', 'add', 'mallory', '--new-user-password=m'),
    step(...ALICE, 'user', 'get', 'alice'),
    step(...ALICE, 'user', 'get', 'bob'),
    step(...ALICE, 'role', 'get', 'r1'),
    step(...ALICE, 'role', 'get', 'ro'),
  ]);
});

test('key permissions: single key, prefix, from-key, txn branches, watch', async () => {
  await runSteps([
    step('get', '/a/x'),
    step('put', '/a/x', '2'),
    step(...ALICE, 'get', '/a/x'),
    step(...ALICE, 'put', '/a/x', '1'),
    step(...ALICE, 'get', '/a/', '--prefix'),
    step(...ALICE, 'get', '/a', '--prefix'),
    step(...ALICE, 'put', '/b/x', '2'),
    step(...ALICE, 'get', '/b/x'),
    step(...ALICE, 'get', '/ro'),
    step(...ALICE, 'put', '/ro', 'w'),
    step(...ALICE, 'del', '/a/', '--prefix', '--prev-kv'),
    step(...ALICE, 'put', '/a/x', '1'),
    step(...ALICE, 'get', '', '--from-key'),
    step(...BOB, 'get', '/z', '--from-key'),
    step(...BOB, 'get', '/zz'),
    step(...BOB, 'get', '/y', '--from-key'),
    step(...BOB, 'put', '/zz', 'no'),
    { args: [...ALICE, 'txn'], stdin: TXN_DENIED_FAILURE_BRANCH },
    { args: [...ALICE, 'txn'], stdin: TXN_DENIED_COMPARE },
    { args: [...ALICE, 'txn'], stdin: TXN_ALLOWED },
    step(...ALICE, 'watch', '/b/x'),
    step(...ROOT, 'get', '', '--from-key', '--keys-only'),
  ]);
});

test('credentials: wrong password, no-password user, changed password, revoked role', async () => {
  await runSteps([
    step('--user', 'alice:wrong', 'get', '/a/x'),
    step('--user', 'nobody:x', 'get', '/a/x'),
    step('--user', 'nopw:', 'get', '/a/x'),
    { args: [...ROOT, 'user', 'passwd', 'alice', '--interactive=false'], stdin: 'apw2\n' },
    step(...ALICE, 'get', '/a/x'),
    step('--user', 'alice:apw2', 'get', '/a/x'),
    step(...ROOT, 'role', 'revoke-permission', 'r1', '/a/', '--prefix'),
    step(...ROOT, 'role', 'revoke-permission', 'r1', '/a/', '--prefix'),
    step('--user', 'alice:apw2', 'get', '/a/x'),
    step(...ROOT, 'user', 'revoke-role', 'alice', 'r1'),
    step(...ROOT, 'user', 'revoke-role', 'alice', 'r1'),
    step(...ROOT, 'user', 'get', 'alice'),
  ]);
});

test('admin-only maintenance and membership, then disabling auth', async () => {
  await runSteps([
    step(...BOB, 'defrag'),
    step(...BOB, 'endpoint', 'hashkv'),
    step(...BOB, 'member', 'add', 'x', '--peer-urls=http://127.0.0.1:1'),
    step(...BOB, 'alarm', 'list'),
    step(...BOB, 'auth', 'disable'),
    step(...ROOT, 'role', 'delete', 'ro'),
    step(...ROOT, 'user', 'get', 'bob'),
    step(...ROOT, 'user', 'delete', 'bob'),
    step(...ROOT, 'auth', 'disable'),
    step('auth', 'disable'),
    step('get', '/b/x'),
    step('user', 'delete', 'root'),
    step('role', 'delete', 'root'),
    step('user', 'list'),
    step('role', 'list'),
  ]);
});
