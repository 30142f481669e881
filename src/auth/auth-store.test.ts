import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../backend/backend.js';
import { isEtcdError, type EtcdErrorCode } from '../base/errors.js';
import { Permission, Permission_Type, UserAddOptions } from '../proto/gen/authpb.js';
import {
  AuthRoleGrantPermissionRequest, AuthRoleRevokePermissionRequest, AuthUserAddRequest,
} from '../proto/gen/etcdserverpb.js';
import { AuthStore } from './auth-store.js';
import { BcryptPool } from './bcrypt-pool.js';
import { SimpleTokenProvider } from './simple-token.js';
import type { AuthLogger } from './types.js';

const quiet: AuthLogger = { info: () => undefined, warn: () => undefined };
const bytes = (text: string): Uint8Array => Buffer.from(text);
const EMPTY = new Uint8Array(0);
/** One worker for the whole file (starting a worker thread dominates the run time otherwise). */
const pool = new BcryptPool(1);
after(() => pool.close());

async function withStore(run: (store: AuthStore, backend: Backend) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-auth-'));
  const backend = await Backend.open(join(dir, 'db'));
  const store = new AuthStore(backend, { tokens: new SimpleTokenProvider(60_000), bcryptCost: 4, logger: quiet, pool });
  try {
    await run(store, backend);
  } finally {
    store.tokens.disable();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function throwsCode(fn: () => unknown, code: EtcdErrorCode): void {
  assert.throws(fn, (error: unknown) => isEtcdError(error, code), `expected ${code}`);
}

async function addUser(store: AuthStore, name: string, password: string): Promise<void> {
  store.userAdd(AuthUserAddRequest.create({ name, hashedPassword: await store.hashPassword(password) }));
}

test('root rules: enable needs root with the root role; root cannot be removed while enabled', async () => {
  await withStore(async (store) => {
    assert.equal(store.revision(), 1, 'a new store starts at auth revision 1');
    throwsCode(() => store.authEnable(), 'ERR_ROOT_USER_NOT_EXIST');
    await addUser(store, 'root', 'rootpw');
    throwsCode(() => store.authEnable(), 'ERR_ROOT_ROLE_NOT_EXIST');
    store.userGrantRole('root', 'root'); // the root role need not exist as a role entry
    const before = store.revision();
    store.authEnable();
    assert.equal(store.revision(), before, 'enabling does not bump the revision');
    store.authEnable(); // already enabled: no-op
    throwsCode(() => store.userDelete('root'), 'ERR_INVALID_AUTH_MGMT');
    throwsCode(() => store.userRevokeRole('root', 'root'), 'ERR_INVALID_AUTH_MGMT');
    throwsCode(() => store.roleDelete('root'), 'ERR_INVALID_AUTH_MGMT');
    store.authDisable();
    assert.equal(store.revision(), before + 1, 'disabling bumps the revision');
    store.userRevokeRole('root', 'root');
    store.userDelete('root');
  });
});

test('users, roles and permissions with etcd errors; every change bumps the revision', async () => {
  await withStore(async (store) => {
    throwsCode(() => store.userAdd(AuthUserAddRequest.create({ name: '' })), 'ERR_USER_EMPTY');
    await addUser(store, 'alice', 'pw');
    await assert.rejects(addUser(store, 'alice', 'pw'), (e: unknown) => isEtcdError(e, 'ERR_USER_ALREADY_EXIST'));
    throwsCode(() => store.roleAdd(''), 'ERR_ROLE_EMPTY');
    store.roleAdd('r1');
    throwsCode(() => store.roleAdd('r1'), 'ERR_ROLE_ALREADY_EXIST');
    throwsCode(() => store.userGrantRole('alice', 'nosuch'), 'ERR_ROLE_NOT_FOUND');
    throwsCode(() => store.userGrantRole('nosuch', 'r1'), 'ERR_USER_NOT_FOUND');
    const rev = store.revision();
    store.userGrantRole('alice', 'r1');
    store.userGrantRole('alice', 'r1'); // duplicate: ignored, no bump
    assert.equal(store.revision(), rev + 1);
    throwsCode(() => store.roleGrantPermission(AuthRoleGrantPermissionRequest.create({ name: 'r1' })),
      'ERR_PERMISSION_NOT_GIVEN');
    const grant = (key: string, end: string, type: Permission_Type): void => store.roleGrantPermission(
      AuthRoleGrantPermissionRequest.create({ name: 'r1', perm: Permission.create({ key: bytes(key), rangeEnd: bytes(end), permType: type }) }));
    grant('/b', '', Permission_Type.READ);
    grant('/a/', '/a0', Permission_Type.READ);
    grant('/a/', '/a0', Permission_Type.READWRITE); // same range: updated in place
    assert.deepEqual(store.roleGet('r1').map((p) => [Buffer.from(p.key).toString(), p.permType]),
      [['/a/', Permission_Type.READWRITE], ['/b', Permission_Type.READ]], 'sorted by key');
    throwsCode(() => store.roleRevokePermission(AuthRoleRevokePermissionRequest.create({ role: 'r1', key: bytes('/c') })),
      'ERR_PERMISSION_NOT_GRANTED');
    store.roleRevokePermission(AuthRoleRevokePermissionRequest.create({ role: 'r1', key: bytes('/b') }));
    assert.equal(store.roleGet('r1').length, 1);
    store.roleDelete('r1');
    assert.deepEqual(store.userGet('alice'), [], 'deleting a role revokes it from every user');
    throwsCode(() => store.userRevokeRole('alice', 'r1'), 'ERR_ROLE_NOT_GRANTED');
    assert.deepEqual(store.userList(), ['alice']);
    throwsCode(() => store.userGet('bob'), 'ERR_USER_NOT_FOUND');
    throwsCode(() => store.roleGet('r1'), 'ERR_ROLE_NOT_FOUND');
  });
});

test('permission checks: credentials required, root sees everything, old revisions are refused', async () => {
  await withStore(async (store) => {
    await addUser(store, 'root', 'rootpw');
    store.userGrantRole('root', 'root');
    await addUser(store, 'alice', 'pw');
    store.roleAdd('r1');
    store.roleGrantPermission(AuthRoleGrantPermissionRequest.create({ name: 'r1',
      perm: Permission.create({ key: bytes('/a/'), rangeEnd: bytes('/a0'), permType: Permission_Type.READ }) }));
    store.userGrantRole('alice', 'r1');
    store.checkPut(undefined, bytes('/x')); // auth disabled: everything allowed
    store.authEnable();
    const alice = { username: 'alice', revision: store.revision() };
    throwsCode(() => store.checkRange(undefined, bytes('/a/x'), EMPTY), 'ERR_USER_EMPTY');
    store.checkRange(alice, bytes('/a/x'), EMPTY);
    store.checkRange(alice, bytes('/a/'), bytes('/a0'));
    throwsCode(() => store.checkPut(alice, bytes('/a/x')), 'ERR_PERMISSION_DENIED');
    throwsCode(() => store.checkRange(alice, bytes('/b'), EMPTY), 'ERR_PERMISSION_DENIED');
    throwsCode(() => store.checkAdmin(alice), 'ERR_PERMISSION_DENIED');
    throwsCode(() => store.checkAdmin(undefined), 'ERR_USER_EMPTY');
    throwsCode(() => store.checkAdmin({ username: 'ghost', revision: 9 }), 'ERR_USER_NOT_FOUND');
    store.checkAdmin({ username: 'root', revision: 1 });
    store.checkDeleteRange({ username: 'root', revision: store.revision() }, EMPTY, Uint8Array.of(0));
    store.roleAdd('r2'); // any change makes alice's checked revision stale
    throwsCode(() => store.checkRange(alice, bytes('/a/x'), EMPTY), 'ERR_AUTH_OLD_REVISION');
  });
});

test('passwords: bcrypt in workers; no-password users and wrong passwords never authenticate', async () => {
  await withStore(async (store) => {
    await addUser(store, 'root', 'rootpw');
    store.userGrantRole('root', 'root');
    store.userAdd(AuthUserAddRequest.create({ name: 'svc', options: UserAddOptions.create({ noPassword: true }) }));
    await assert.rejects(store.checkPassword('root', 'rootpw'), (e: unknown) => isEtcdError(e, 'ERR_AUTH_NOT_ENABLED'));
    store.authEnable();
    assert.equal(await store.checkPassword('root', 'rootpw'), store.revision());
    for (const [user, password] of [['root', 'wrong'], ['nobody', 'x']]) {
      await assert.rejects(store.checkPassword(user!, password!), (e: unknown) => isEtcdError(e, 'ERR_AUTH_FAILED'));
    }
    for (const password of ['', 'anything']) {
      await assert.rejects(store.checkPassword('svc', password), (e: unknown) => isEtcdError(e, 'ERR_NO_PASSWORD_USER'));
    }
    throwsCode(() => store.authenticate('svc', { index: 1, simpleTokenPrefix: 'p' }), 'ERR_AUTH_FAILED');
    const token = store.authenticate('root', { index: 7, simpleTokenPrefix: store.tokens.genTokenPrefix() });
    assert.deepEqual(store.authInfoFromToken(token), { username: 'root', revision: store.revision() });
    store.userChangePassword({ name: 'root', password: '', hashedPassword: await store.hashPassword('new') });
    assert.equal(store.authInfoFromToken(token), undefined, 'a password change invalidates the tokens');
    assert.equal(await store.checkPassword('root', 'new'), store.revision());
  });
});

test('the state survives a reopen and is what a snapshot carries', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-auth-'));
  try {
    let backend = await Backend.open(join(dir, 'db'));
    let store = new AuthStore(backend, { tokens: new SimpleTokenProvider(1000), bcryptCost: 4, logger: quiet, pool });
    store.userAdd(AuthUserAddRequest.create({ name: 'root', hashedPassword: await store.hashPassword('pw') }));
    store.userGrantRole('root', 'root');
    store.authEnable();
    const revision = store.revision();
    store.tokens.disable();
    await backend.close();
    backend = await Backend.open(join(dir, 'db'));
    store = new AuthStore(backend, { tokens: new SimpleTokenProvider(1000), bcryptCost: 99, logger: quiet, pool });
    assert.equal(store.isEnabled(), true);
    assert.equal(store.revision(), revision);
    assert.equal(store.bcryptCost, 10, 'an out-of-range cost falls back to the default');
    assert.equal(await store.checkPassword('root', 'pw'), revision);
    store.tokens.disable();
    await backend.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
