/**
 * The auth store (etcd's server/auth/store.go semantics): users, roles and key permissions in the
 * backend, the enabled flag and the auth revision, which every mutation bumps (enabling does not).
 * Mutations are called at apply time, identically on every member, and throw EtcdError as etcd's
 * auth errors map to gRPC. Permission checks use a per-user cache of merged key ranges, dropped on
 * every mutation. Password hashing and checking run in a worker pool (bcrypt-pool.ts).
 */
import { etcdError } from '../base/errors.js';
import type { Backend } from '../backend/backend.js';
import { Permission, Permission_Type, Role, User, UserAddOptions } from '../proto/gen/authpb.js';
import type {
  AuthRoleGrantPermissionRequest, AuthRoleRevokePermissionRequest, AuthUserAddRequest,
  AuthUserChangePasswordRequest,
} from '../proto/gen/etcdserverpb.js';
import * as db from './auth-backend.js';
import { BCRYPT_COST_DEFAULT, BCRYPT_COST_MAX, BCRYPT_COST_MIN } from './bcrypt.js';
import { BcryptPool } from './bcrypt-pool.js';
import { UnifiedPermissions } from './range-perms.js';
import type { AssignContext, AuthInfo, AuthLogger, TokenProvider } from './types.js';

export const ROOT_USER = 'root';
export const ROOT_ROLE = 'root';

export interface AuthStoreOptions {
  tokens: TokenProvider;
  /** --bcrypt-cost; out-of-range values fall back to 10 with a warning, as etcd. */
  bcryptCost: number;
  logger: AuthLogger;
  /** Shared bcrypt workers (one per server); created on demand when omitted. */
  pool?: BcryptPool;
}

function hasRootRole(user: User): boolean {
  return user.roles.includes(ROOT_ROLE);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

export class AuthStore {
  private enabled: boolean;
  private rev: number;
  private readonly permCache = new Map<string, UnifiedPermissions>();
  readonly tokens: TokenProvider;
  readonly bcryptCost: number;
  readonly pool: BcryptPool;
  private readonly logger: AuthLogger;

  /** Reads the state from `backend`; a revision of 0 (never written) becomes 1, as etcd. */
  constructor(private backend: Backend, options: AuthStoreOptions) {
    this.tokens = options.tokens;
    this.logger = options.logger;
    this.pool = options.pool ?? new BcryptPool();
    let cost = options.bcryptCost;
    if (!Number.isInteger(cost) || cost < BCRYPT_COST_MIN || cost > BCRYPT_COST_MAX) {
      this.logger.warn({ 'min-cost': BCRYPT_COST_MIN, 'max-cost': BCRYPT_COST_MAX, 'default-cost': BCRYPT_COST_DEFAULT,
        'given-cost': cost }, 'use default bcrypt cost instead of the invalid given cost');
      cost = BCRYPT_COST_DEFAULT;
    }
    this.bcryptCost = cost;
    this.enabled = db.readAuthEnabled(backend);
    this.rev = db.readAuthRevision(backend);
    if (this.enabled) {
      this.tokens.enable();
      this.pool.warmUp();
    }
    if (this.rev === 0) this.commitRevision();
  }

  /** After a snapshot install: the state is the new backend's. */
  recover(backend: Backend): void {
    this.backend = backend;
    const enabled = db.readAuthEnabled(backend);
    this.rev = db.readAuthRevision(backend);
    this.permCache.clear();
    if (enabled && !this.enabled) {
      this.tokens.enable();
      this.pool.warmUp();
    }
    if (!enabled && this.enabled) this.tokens.disable();
    this.enabled = enabled;
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  revision(): number {
    return this.rev;
  }

  // ---- mutations (apply time) -------------------------------------------------------------------

  /** Throws ERR_ROOT_USER_NOT_EXIST / ERR_ROOT_ROLE_NOT_EXIST. Already enabled: no-op. */
  authEnable(): void {
    if (this.enabled) {
      this.logger.info({}, 'authentication is already enabled; ignored auth enable request');
      return;
    }
    const root = db.getUser(this.backend, ROOT_USER);
    if (root === undefined) throw etcdError('ERR_ROOT_USER_NOT_EXIST');
    if (!hasRootRole(root)) throw etcdError('ERR_ROOT_ROLE_NOT_EXIST');
    db.saveAuthEnabled(this.backend, true);
    this.enabled = true;
    this.tokens.enable();
    this.pool.warmUp();
    this.permCache.clear();
    this.logger.info({}, 'enabled authentication');
  }

  authDisable(): void {
    if (!this.enabled) return;
    db.saveAuthEnabled(this.backend, false);
    this.commitRevision();
    this.enabled = false;
    this.tokens.disable();
    this.logger.info({}, 'disabled authentication');
  }

  /** Records a token for a user whose password the proposer checked. Throws ERR_AUTH_NOT_ENABLED / ERR_AUTH_FAILED. */
  authenticate(username: string, context: AssignContext): string {
    if (!this.enabled) throw etcdError('ERR_AUTH_NOT_ENABLED');
    const user = db.getUser(this.backend, username);
    if (user === undefined || user.options?.noPassword === true) throw etcdError('ERR_AUTH_FAILED');
    return this.tokens.assign(username, this.rev, context);
  }

  /** `hashedPassword` is base64 of the bcrypt string (etcd 3.5's raft request). */
  userAdd(request: AuthUserAddRequest): void {
    if (request.name === '') throw etcdError('ERR_USER_EMPTY');
    if (db.getUser(this.backend, request.name) !== undefined) throw etcdError('ERR_USER_ALREADY_EXIST');
    const options = request.options ?? UserAddOptions.create();
    const password = options.noPassword ? new Uint8Array(0) : this.storedPassword(request.hashedPassword);
    db.putUser(this.backend, User.create({ name: db.encodeName(request.name), password, options }));
    this.commitRevision();
    this.logger.info({ 'user-name': request.name }, 'added a user');
  }

  userDelete(name: string): void {
    if (this.enabled && name === ROOT_USER) throw etcdError('ERR_INVALID_AUTH_MGMT');
    if (db.getUser(this.backend, name) === undefined) throw etcdError('ERR_USER_NOT_FOUND');
    db.deleteUser(this.backend, name);
    this.commitRevision();
    this.tokens.invalidateUser(name);
    this.logger.info({ 'user-name': name }, 'deleted a user');
  }

  userChangePassword(request: AuthUserChangePasswordRequest): void {
    const user = db.getUser(this.backend, request.name);
    if (user === undefined) throw etcdError('ERR_USER_NOT_FOUND');
    user.password = user.options?.noPassword === true ? new Uint8Array(0) : this.storedPassword(request.hashedPassword);
    db.putUser(this.backend, user);
    this.commitRevision();
    this.tokens.invalidateUser(request.name);
    this.logger.info({ 'user-name': request.name }, 'changed a password of a user');
  }

  userGrantRole(username: string, role: string): void {
    const user = db.getUser(this.backend, username);
    if (user === undefined) throw etcdError('ERR_USER_NOT_FOUND');
    if (role !== ROOT_ROLE && db.getRole(this.backend, role) === undefined) throw etcdError('ERR_ROLE_NOT_FOUND');
    if (user.roles.includes(role)) return;
    user.roles = [...user.roles, role].sort();
    db.putUser(this.backend, user);
    this.commitRevision();
    this.logger.info({ 'user-name': username, 'added-role-name': role }, 'granted a role to a user');
  }

  userRevokeRole(username: string, role: string): void {
    if (this.enabled && username === ROOT_USER && role === ROOT_ROLE) throw etcdError('ERR_INVALID_AUTH_MGMT');
    const user = db.getUser(this.backend, username);
    if (user === undefined) throw etcdError('ERR_USER_NOT_FOUND');
    const roles = user.roles.filter((r) => r !== role);
    if (roles.length === user.roles.length) throw etcdError('ERR_ROLE_NOT_GRANTED');
    user.roles = roles;
    db.putUser(this.backend, user);
    this.commitRevision();
    this.logger.info({ 'user-name': username, 'revoked-role-name': role }, 'revoked a role from a user');
  }

  roleAdd(name: string): void {
    if (name === '') throw etcdError('ERR_ROLE_EMPTY');
    if (db.getRole(this.backend, name) !== undefined) throw etcdError('ERR_ROLE_ALREADY_EXIST');
    db.putRole(this.backend, Role.create({ name: db.encodeName(name) }));
    this.commitRevision();
    this.logger.info({ 'role-name': name }, 'created a role');
  }

  roleDelete(name: string): void {
    if (this.enabled && name === ROOT_ROLE) throw etcdError('ERR_INVALID_AUTH_MGMT');
    if (db.getRole(this.backend, name) === undefined) throw etcdError('ERR_ROLE_NOT_FOUND');
    db.deleteRole(this.backend, name);
    for (const user of db.allUsers(this.backend)) {
      if (!user.roles.includes(name)) continue;
      user.roles = user.roles.filter((r) => r !== name);
      db.putUser(this.backend, user);
    }
    this.commitRevision();
    this.logger.info({ 'role-name': name }, 'deleted a role');
  }

  roleGrantPermission(request: AuthRoleGrantPermissionRequest): void {
    const perm = request.perm;
    if (perm === undefined) throw etcdError('ERR_PERMISSION_NOT_GIVEN');
    const role = db.getRole(this.backend, request.name);
    if (role === undefined) throw etcdError('ERR_ROLE_NOT_FOUND');
    const same = (p: Permission): boolean => bytesEqual(p.key, perm.key) && bytesEqual(p.rangeEnd, perm.rangeEnd);
    const existing = role.keyPermission.find(same);
    if (existing !== undefined) {
      existing.permType = perm.permType;
    } else {
      role.keyPermission.push(Permission.create({ permType: perm.permType, key: perm.key, rangeEnd: perm.rangeEnd }));
      role.keyPermission.sort((a, b) => compareBytes(a.key, b.key));
    }
    db.putRole(this.backend, role);
    this.commitRevision();
    this.logger.info({ 'role-name': request.name, 'permission-name': Permission_Type[perm.permType] },
      'granted/updated a permission to a user');
  }

  roleRevokePermission(request: AuthRoleRevokePermissionRequest): void {
    const role = db.getRole(this.backend, request.role);
    if (role === undefined) throw etcdError('ERR_ROLE_NOT_FOUND');
    const kept = role.keyPermission.filter((p) =>
      !bytesEqual(p.key, request.key) || !bytesEqual(p.rangeEnd, request.rangeEnd));
    if (kept.length === role.keyPermission.length) throw etcdError('ERR_PERMISSION_NOT_GRANTED');
    role.keyPermission = kept;
    db.putRole(this.backend, role);
    this.commitRevision();
    this.logger.info({ 'role-name': request.role }, 'revoked a permission on range');
  }

  // ---- reads --------------------------------------------------------------------------------------

  /** The user's roles. Throws ERR_USER_NOT_FOUND. */
  userGet(name: string): string[] {
    const user = db.getUser(this.backend, name);
    if (user === undefined) throw etcdError('ERR_USER_NOT_FOUND');
    return [...user.roles];
  }

  userList(): string[] {
    return db.allUsers(this.backend).map(db.nameOf);
  }

  /**
   * The role's stored permissions (the root role has none stored and shows none, as etcd 3.4; 3.5
   * shows a synthetic read-write permission on every key). Throws ERR_ROLE_NOT_FOUND.
   */
  roleGet(name: string): Permission[] {
    const role = db.getRole(this.backend, name);
    if (role === undefined) throw etcdError('ERR_ROLE_NOT_FOUND');
    return role.keyPermission;
  }

  roleList(): string[] {
    return db.allRoles(this.backend).map(db.nameOf);
  }

  hasRole(username: string, role: string): boolean {
    return db.getUser(this.backend, username)?.roles.includes(role) ?? false;
  }

  // ---- passwords and tokens -----------------------------------------------------------------------

  /** bcrypt of `password` at --bcrypt-cost, base64-encoded for the raft request (off the event loop). */
  async hashPassword(password: string): Promise<string> {
    return Buffer.from(await this.pool.hash(password, this.bcryptCost), 'latin1').toString('base64');
  }

  /**
   * Checks a password against the stored hash (in a worker thread) and returns the auth revision it
   * was checked at. Throws ERR_AUTH_NOT_ENABLED, ERR_AUTH_FAILED for an unknown user or a wrong
   * password, ERR_NO_PASSWORD_USER for a user added without password (etcd's wording, gRPC Unknown).
   */
  async checkPassword(username: string, password: string): Promise<number> {
    if (!this.enabled) throw etcdError('ERR_AUTH_NOT_ENABLED');
    const user = db.getUser(this.backend, username);
    if (user === undefined) throw etcdError('ERR_AUTH_FAILED');
    if (user.options?.noPassword === true) throw etcdError('ERR_NO_PASSWORD_USER');
    const revision = this.rev;
    const ok = await this.pool.verify(Buffer.from(user.password).toString('latin1'), password);
    if (!ok) {
      this.logger.info({ 'user-name': username }, 'invalid password');
      throw etcdError('ERR_AUTH_FAILED');
    }
    return revision;
  }

  /** The caller behind a token, or undefined when the token is invalid or expired. */
  authInfoFromToken(token: string): AuthInfo | undefined {
    return this.tokens.info(token, this.rev);
  }

  // ---- permission checks ------------------------------------------------------------------------------

  /** Throws ERR_USER_EMPTY (no credentials), ERR_AUTH_OLD_REVISION or ERR_PERMISSION_DENIED. */
  checkRange(info: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array): void {
    this.checkOp(info, key, rangeEnd, Permission_Type.READ);
  }

  checkPut(info: AuthInfo | undefined, key: Uint8Array): void {
    this.checkOp(info, key, new Uint8Array(0), Permission_Type.WRITE);
  }

  checkDeleteRange(info: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array): void {
    this.checkOp(info, key, rangeEnd, Permission_Type.WRITE);
  }

  /** Root-role check for admin requests. Throws ERR_USER_EMPTY, ERR_USER_NOT_FOUND, ERR_PERMISSION_DENIED. */
  checkAdmin(info: AuthInfo | undefined): void {
    if (!this.enabled) return;
    if (info === undefined || info.username === '') throw etcdError('ERR_USER_EMPTY');
    const user = db.getUser(this.backend, info.username);
    if (user === undefined) throw etcdError('ERR_USER_NOT_FOUND');
    if (!hasRootRole(user)) throw etcdError('ERR_PERMISSION_DENIED');
  }

  private checkOp(info: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array,
    type: Permission_Type.READ | Permission_Type.WRITE): void {
    if (!this.enabled) return;
    if (info === undefined || info.revision === 0) throw etcdError('ERR_USER_EMPTY');
    if (info.revision < this.rev) throw etcdError('ERR_AUTH_OLD_REVISION');
    const user = db.getUser(this.backend, info.username);
    if (user === undefined) throw etcdError('ERR_PERMISSION_DENIED');
    if (hasRootRole(user)) return;
    if (!this.permissionsOf(user).permits(key, rangeEnd, type)) throw etcdError('ERR_PERMISSION_DENIED');
  }

  private permissionsOf(user: User): UnifiedPermissions {
    const name = db.nameOf(user);
    let perms = this.permCache.get(name);
    if (perms === undefined) {
      const roles = user.roles.map((r) => db.getRole(this.backend, r)).filter((r): r is Role => r !== undefined);
      perms = new UnifiedPermissions(roles);
      this.permCache.set(name, perms);
    }
    return perms;
  }

  private storedPassword(hashedPassword: string): Uint8Array {
    if (hashedPassword === '') throw etcdError('ERR_AUTH_FAILED');
    return new Uint8Array(Buffer.from(hashedPassword, 'base64'));
  }

  private commitRevision(): void {
    this.rev++;
    db.saveAuthRevision(this.backend, this.rev);
    this.permCache.clear();
  }
}
