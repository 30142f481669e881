import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../backend/backend.js';
import { isEtcdError } from '../../base/errors.js';
import { AuthStore } from '../../auth/auth-store.js';
import { BcryptPool } from '../../auth/bcrypt-pool.js';
import { SimpleTokenProvider } from '../../auth/simple-token.js';
import { Permission, Permission_Type } from '../../proto/gen/authpb.js';
import {
  AuthEnableRequest, AuthRoleGrantPermissionRequest, AuthUserAddRequest, AuthUserGrantRoleRequest,
  AuthUserListRequest, InternalAuthenticateRequest, InternalRaftRequest, LeaseRevokeRequest, PutRequest,
  RequestHeader, RequestOp, TxnRequest, type AuthenticateResponse, type AuthUserListResponse,
} from '../../proto/gen/etcdserverpb.js';
import { AuthApplier } from './auth-applier.js';

const quiet = { info: () => undefined, warn: () => undefined };
const pool = new BcryptPool(1);
after(() => pool.close());
const key = (text: string): Uint8Array => Buffer.from(text);

async function withApplier(run: (applier: AuthApplier, store: AuthStore, leaseKeys: Map<bigint, Uint8Array[]>) =>
  Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-auth-apply-'));
  const backend = await Backend.open(join(dir, 'db'));
  const store = new AuthStore(backend, { tokens: new SimpleTokenProvider(60_000), bcryptCost: 4, logger: quiet, pool });
  const leaseKeys = new Map<bigint, Uint8Array[]>();
  const applier = new AuthApplier(() => store, () => ({
    exists: (id) => leaseKeys.has(id), keysOf: (id) => leaseKeys.get(id) ?? [],
  }));
  try {
    await run(applier, store, leaseKeys);
  } finally {
    store.tokens.disable();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sets up root (root role) and alice (read-write on /a/ prefix), then enables auth, all through apply. */
async function setUp(applier: AuthApplier, store: AuthStore): Promise<void> {
  const apply = (request: Partial<InternalRaftRequest>): unknown =>
    applier.apply(InternalRaftRequest.create(request), 1);
  apply({ authUserAdd: AuthUserAddRequest.create({ name: 'root', hashedPassword: await store.hashPassword('r') }) });
  apply({ authUserGrantRole: AuthUserGrantRoleRequest.create({ user: 'root', role: 'root' }) });
  const alicePassword = await store.hashPassword('a');
  apply({ authUserAdd: AuthUserAddRequest.create({ name: 'alice', hashedPassword: alicePassword }) });
  store.roleAdd('app');
  apply({ authRoleGrantPermission: AuthRoleGrantPermissionRequest.create({ name: 'app',
    perm: Permission.create({ key: key('/a/'), rangeEnd: key('/a0'), permType: Permission_Type.READWRITE }) }) });
  apply({ authUserGrantRole: AuthUserGrantRoleRequest.create({ user: 'alice', role: 'app' }) });
  apply({ authEnable: AuthEnableRequest.create() });
}

const header = (username: string, store: AuthStore): RequestHeader =>
  RequestHeader.create({ username, authRevision: store.revision() });
const put = (k: string): RequestOp => RequestOp.create({ requestPut: PutRequest.create({ key: key(k) }) });

test('write permissions are checked at apply, in both txn branches and on lease keys', async () => {
  await withApplier(async (applier, store, leaseKeys) => {
    await setUp(applier, store);
    const alice = header('alice', store);
    const denied = (request: Partial<InternalRaftRequest>): void => assert.throws(
      () => applier.apply(InternalRaftRequest.create({ header: alice, ...request }), 9),
      (e: unknown) => isEtcdError(e, 'ERR_PERMISSION_DENIED'));
    assert.equal(applier.apply(InternalRaftRequest.create({ header: alice, put: PutRequest.create({ key: key('/a/x') }) }), 9),
      undefined, 'allowed: handed on to the KV applier');
    denied({ put: PutRequest.create({ key: key('/b') }) });
    denied({ txn: TxnRequest.create({ success: [put('/a/x')], failure: [put('/b')] }) });
    leaseKeys.set(7n, [key('/a/x'), key('/secret')]);
    denied({ put: PutRequest.create({ key: key('/a/y'), lease: 7n }) });
    denied({ leaseRevoke: LeaseRevokeRequest.create({ ID: 7n }) });
    // The server's own requests carry no header and are not checked (lease expiry).
    assert.equal(applier.apply(InternalRaftRequest.create({ leaseRevoke: LeaseRevokeRequest.create({ ID: 7n }) }), 9),
      undefined);
    assert.throws(() => applier.apply(InternalRaftRequest.create({ header: RequestHeader.create(),
      put: PutRequest.create({ key: key('/a/x') }) }), 9), (e: unknown) => isEtcdError(e, 'ERR_USER_EMPTY'));
  });
});

test('auth requests need the root role once enabled; Authenticate issues the index-suffixed token', async () => {
  await withApplier(async (applier, store) => {
    await setUp(applier, store);
    const list = InternalRaftRequest.create({ authUserList: AuthUserListRequest.create() });
    assert.throws(() => applier.apply({ ...list, header: header('alice', store) }, 3),
      (e: unknown) => isEtcdError(e, 'ERR_PERMISSION_DENIED'));
    const users = applier.apply({ ...list, header: header('root', store) }, 3)?.response as AuthUserListResponse;
    assert.deepEqual(users.users, ['alice', 'root']);
    const result = applier.apply(InternalRaftRequest.create({ authenticate: InternalAuthenticateRequest.create({
      name: 'alice', simpleToken: 'abcdefghijklmnop' }) }), 42);
    const token = (result?.response as AuthenticateResponse).token;
    assert.equal(token, 'abcdefghijklmnop.42');
    assert.deepEqual(store.authInfoFromToken(token), { username: 'alice', revision: store.revision() });
  });
});
