/**
 * The auth state in the backend, laid out as etcd lays it out so snapshots carry it: bucket `auth`
 * holds `authEnabled` (one byte, 1 or 0) and `authRevision` (8-byte big-endian); bucket `authUsers`
 * maps a user name to its authpb.User; bucket `authRoles` maps a role name to its authpb.Role.
 */
import { assert } from '../base/assert.js';
import type { Backend } from '../backend/backend.js';
import { Role, User } from '../proto/gen/authpb.js';

const ENABLED_KEY = new TextEncoder().encode('authEnabled');
const REVISION_KEY = new TextEncoder().encode('authRevision');
const utf8 = new TextEncoder();
const textOf = new TextDecoder();

export function readAuthEnabled(backend: Backend): boolean {
  const value = backend.get('auth', ENABLED_KEY);
  return value !== undefined && value.length === 1 && value[0] === 1;
}

export function saveAuthEnabled(backend: Backend, enabled: boolean): void {
  backend.put('auth', ENABLED_KEY, Uint8Array.of(enabled ? 1 : 0));
}

/** The stored auth revision (0 when never written). Throws AssertionError on a malformed value. */
export function readAuthRevision(backend: Backend): number {
  const value = backend.get('auth', REVISION_KEY);
  if (value === undefined) return 0;
  assert(value.length === 8, 'auth revision must be 8 bytes');
  const revision = new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0);
  assert(revision <= BigInt(Number.MAX_SAFE_INTEGER), 'auth revision is not a safe integer');
  return Number(revision);
}

export function saveAuthRevision(backend: Backend, revision: number): void {
  const value = new Uint8Array(8);
  new DataView(value.buffer).setBigUint64(0, BigInt(revision));
  backend.put('auth', REVISION_KEY, value);
}

/** A copy of the stored user (safe to modify), or undefined. */
export function getUser(backend: Backend, name: string): User | undefined {
  if (name === '') return undefined;
  const value = backend.get('authUsers', utf8.encode(name));
  return value === undefined ? undefined : User.decode(value.slice());
}

export function putUser(backend: Backend, user: User): void {
  backend.put('authUsers', user.name, User.encode(user));
}

export function deleteUser(backend: Backend, name: string): void {
  backend.delete('authUsers', utf8.encode(name));
}

/** All users in name (byte) order. */
export function allUsers(backend: Backend): User[] {
  return [...backend.range('authUsers', new Uint8Array(0))].map(([, value]) => User.decode(value.slice()));
}

export function getRole(backend: Backend, name: string): Role | undefined {
  if (name === '') return undefined;
  const value = backend.get('authRoles', utf8.encode(name));
  return value === undefined ? undefined : Role.decode(value.slice());
}

export function putRole(backend: Backend, role: Role): void {
  backend.put('authRoles', role.name, Role.encode(role));
}

export function deleteRole(backend: Backend, name: string): void {
  backend.delete('authRoles', utf8.encode(name));
}

/** All roles in name (byte) order. */
export function allRoles(backend: Backend): Role[] {
  return [...backend.range('authRoles', new Uint8Array(0))].map(([, value]) => Role.decode(value.slice()));
}

export function nameOf(entity: { name: Uint8Array }): string {
  return textOf.decode(entity.name);
}

export function encodeName(name: string): Uint8Array {
  return utf8.encode(name);
}
