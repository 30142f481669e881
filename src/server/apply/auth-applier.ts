/**
 * Auth at apply time (etcd's authApplierV3): applies the auth_* raft requests to the AuthStore after
 * the root-role check etcd requires for them, and checks the key permissions of Put, DeleteRange,
 * Txn (compares and both branches) and LeaseRevoke against the user and auth revision carried in
 * the request header. Requests without a header are the server's own (lease expiry, publish,
 * alarms) and are not checked. Every member applies the same checks, so all reject alike.
 */
import type { LeaseId } from '../../base/ids.js';
import type { AuthStore } from '../../auth/auth-store.js';
import type { AuthInfo } from '../../auth/types.js';
import {
  AuthDisableResponse, AuthEnableResponse, AuthenticateResponse, AuthRoleAddResponse, AuthRoleDeleteResponse,
  AuthRoleGetResponse, AuthRoleGrantPermissionResponse, AuthRoleListResponse, AuthRoleRevokePermissionResponse,
  AuthStatusResponse, AuthUserAddResponse, AuthUserChangePasswordResponse, AuthUserDeleteResponse,
  AuthUserGetResponse, AuthUserGrantRoleResponse, AuthUserListResponse, AuthUserRevokeRoleResponse,
  type InternalRaftRequest, type RequestOp, type TxnRequest,
} from '../../proto/gen/etcdserverpb.js';
import type { ApplyResult } from './entry-applier.js';

/** Keys attached to a lease (the lessor). */
export interface LeaseKeys {
  keysOf(id: LeaseId): Uint8Array[];
  exists(id: LeaseId): boolean;
}

/** The auth_* requests that need the root role (etcd's needAdminPermission). */
function needsAdmin(r: InternalRaftRequest): boolean {
  return r.authEnable !== undefined || r.authDisable !== undefined || r.authStatus !== undefined ||
    r.authUserAdd !== undefined || r.authUserDelete !== undefined || r.authUserChangePassword !== undefined ||
    r.authUserGrantRole !== undefined || r.authUserRevokeRole !== undefined || r.authRoleAdd !== undefined ||
    r.authRoleGrantPermission !== undefined || r.authRoleRevokePermission !== undefined ||
    r.authRoleDelete !== undefined || r.authUserList !== undefined || r.authRoleList !== undefined;
}

/** Checks every compare and request of both branches (nested txns too). Throws EtcdError. */
export function checkTxnPermissions(store: AuthStore, info: AuthInfo | undefined, txn: TxnRequest): void {
  for (const compare of txn.compare) store.checkRange(info, compare.key, compare.rangeEnd);
  checkOps(store, info, txn.success);
  checkOps(store, info, txn.failure);
}

function checkOps(store: AuthStore, info: AuthInfo | undefined, ops: RequestOp[]): void {
  for (const op of ops) {
    if (op.requestRange !== undefined) store.checkRange(info, op.requestRange.key, op.requestRange.rangeEnd);
    if (op.requestPut !== undefined) store.checkPut(info, op.requestPut.key);
    if (op.requestDeleteRange !== undefined) {
      const del = op.requestDeleteRange;
      if (del.prevKv) store.checkRange(info, del.key, del.rangeEnd);
      store.checkDeleteRange(info, del.key, del.rangeEnd);
    }
    if (op.requestTxn !== undefined) checkTxnPermissions(store, info, op.requestTxn);
  }
}

/** Write permission on every key attached to `lease` (a user may only revoke what it could write). */
export function checkLeaseWrites(store: AuthStore, info: AuthInfo | undefined, leases: LeaseKeys,
  lease: LeaseId): void {
  if (lease === 0n || !store.isEnabled() || !leases.exists(lease)) return;
  for (const key of leases.keysOf(lease)) store.checkPut(info, key);
}

export class AuthApplier {
  constructor(private readonly store: () => AuthStore, private readonly leases: () => LeaseKeys) {}

  /**
   * Applies an auth request (returns its result), or checks a KV/lease write's permissions and
   * returns undefined so the other appliers run. Throws EtcdError on a denied request.
   */
  apply(request: InternalRaftRequest, index: number): ApplyResult | undefined {
    const store = this.store();
    const header = request.header;
    const info: AuthInfo | undefined = header === undefined ? undefined
      : { username: header.username, revision: header.authRevision };
    if (needsAdmin(request)) store.checkAdmin(info);
    const response = this.applyAuth(store, request, info, index);
    if (response !== undefined) return { response };
    if (header !== undefined) this.checkWrite(store, request, info);
    return undefined;
  }

  private checkWrite(store: AuthStore, request: InternalRaftRequest, info: AuthInfo | undefined): void {
    if (!store.isEnabled()) return;
    const { put, deleteRange, txn, leaseRevoke } = request;
    if (put !== undefined) {
      store.checkPut(info, put.key);
      checkLeaseWrites(store, info, this.leases(), put.lease);
      if (put.prevKv) store.checkRange(info, put.key, new Uint8Array(0));
    } else if (deleteRange !== undefined) {
      store.checkDeleteRange(info, deleteRange.key, deleteRange.rangeEnd);
      if (deleteRange.prevKv) store.checkRange(info, deleteRange.key, deleteRange.rangeEnd);
    } else if (txn !== undefined) {
      checkTxnPermissions(store, info, txn);
    } else if (leaseRevoke !== undefined) {
      checkLeaseWrites(store, info, this.leases(), leaseRevoke.ID);
    }
  }

  /** The response of an auth request, or undefined for any other kind. Throws EtcdError. */
  private applyAuth(store: AuthStore, r: InternalRaftRequest, info: AuthInfo | undefined, index: number): unknown {
    if (r.authEnable !== undefined) { store.authEnable(); return AuthEnableResponse.create(); }
    if (r.authDisable !== undefined) { store.authDisable(); return AuthDisableResponse.create(); }
    if (r.authStatus !== undefined) {
      return AuthStatusResponse.create({ enabled: store.isEnabled(), authRevision: store.revision() });
    }
    if (r.authenticate !== undefined) {
      const token = store.authenticate(r.authenticate.name, { index, simpleTokenPrefix: r.authenticate.simpleToken });
      return AuthenticateResponse.create({ token });
    }
    if (r.authUserAdd !== undefined) { store.userAdd(r.authUserAdd); return AuthUserAddResponse.create(); }
    if (r.authUserDelete !== undefined) {
      store.userDelete(r.authUserDelete.name);
      return AuthUserDeleteResponse.create();
    }
    if (r.authUserChangePassword !== undefined) {
      store.userChangePassword(r.authUserChangePassword);
      return AuthUserChangePasswordResponse.create();
    }
    if (r.authUserGrantRole !== undefined) {
      store.userGrantRole(r.authUserGrantRole.user, r.authUserGrantRole.role);
      return AuthUserGrantRoleResponse.create();
    }
    if (r.authUserRevokeRole !== undefined) {
      store.userRevokeRole(r.authUserRevokeRole.name, r.authUserRevokeRole.role);
      return AuthUserRevokeRoleResponse.create();
    }
    if (r.authUserGet !== undefined) {
      // A user may read its own entry without the root role.
      if (info?.username !== r.authUserGet.name) store.checkAdmin(info);
      return AuthUserGetResponse.create({ roles: store.userGet(r.authUserGet.name) });
    }
    if (r.authUserList !== undefined) return AuthUserListResponse.create({ users: store.userList() });
    return this.applyRole(store, r, info);
  }

  private applyRole(store: AuthStore, r: InternalRaftRequest, info: AuthInfo | undefined): unknown {
    if (r.authRoleAdd !== undefined) { store.roleAdd(r.authRoleAdd.name); return AuthRoleAddResponse.create(); }
    if (r.authRoleDelete !== undefined) {
      store.roleDelete(r.authRoleDelete.role);
      return AuthRoleDeleteResponse.create();
    }
    if (r.authRoleGrantPermission !== undefined) {
      store.roleGrantPermission(r.authRoleGrantPermission);
      return AuthRoleGrantPermissionResponse.create();
    }
    if (r.authRoleRevokePermission !== undefined) {
      store.roleRevokePermission(r.authRoleRevokePermission);
      return AuthRoleRevokePermissionResponse.create();
    }
    if (r.authRoleGet !== undefined) {
      // A user may read the roles it has without the root role.
      const ownRole = store.isEnabled() && info !== undefined && store.hasRole(info.username, r.authRoleGet.role);
      if (!ownRole) store.checkAdmin(info);
      return AuthRoleGetResponse.create({ perm: store.roleGet(r.authRoleGet.role) });
    }
    if (r.authRoleList !== undefined) return AuthRoleListResponse.create({ roles: store.roleList() });
    return undefined;
  }
}

