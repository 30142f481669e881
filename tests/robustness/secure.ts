/**
 * The secure profile: members serve clients over TLS (certificates from tests/helpers/tls-fixtures.ts,
 * issued with src/pki) and run with auth enabled. `enableAuth` creates `root` (role root) and a user
 * `robust` whose role may read and write only the traffic's key range, then enables auth; the traffic
 * and the watchers authenticate as `robust` (tokens are per connection and re-fetched after the server
 * rejects one: expiry, member restart), the harness's own calls as root.
 */
import { readFileSync } from 'node:fs';
import { Permission, Permission_Type } from '../../src/proto/gen/authpb.js';
import { createTlsFixtures, type TlsFixtures } from '../helpers/tls-fixtures.js';
import type { RobustCluster, RobustClusterOptions } from './cluster.js';
import { pb, type MemberConnection, type Security } from './rpc.js';
import { bytes } from './history.js';
import type { Profile } from './traffic.js';

/** Simple-token lifetime on the members: short, so token expiry and re-authentication happen in a run. */
export const AUTH_TOKEN_TTL_S = 10;
/** bcrypt's minimum cost: authentication is exercised often, the password strength is irrelevant here. */
const BCRYPT_COST = 4;
const ROOT_PASSWORD = 'robust-root-pw';
const USER = { name: 'robust', password: 'robust-user-pw' };
const ROLE = 'robust-rw';

/** The key range the test user may use (and the watchers watch): [key, rangeEnd). */
export function permittedRange(profile: Profile): { key: Uint8Array; rangeEnd: Uint8Array } {
  return profile === 'k8s' ? { key: bytes('/registry/'), rangeEnd: bytes('/registry0') }
    : { key: bytes('k'), rangeEnd: bytes('m') }; // k* and lk*
}

/** TLS fixtures plus the cluster options that make members serve them. */
export async function secureClusterOptions(): Promise<{ fixtures: TlsFixtures;
  options: Pick<RobustClusterOptions, 'clientTls' | 'extraArgs'> }> {
  const fixtures = await createTlsFixtures();
  return { fixtures, options: {
    clientTls: { certFile: fixtures.member.cert, keyFile: fixtures.member.key, caPem: readFileSync(fixtures.caFile) },
    extraArgs: ['--auth-token-ttl', String(AUTH_TOKEN_TTL_S), '--bcrypt-cost', String(BCRYPT_COST)],
  } };
}

async function call(conn: MemberConnection, method: string, reqCodec: unknown, resCodec: unknown,
  request: object): Promise<void> {
  await conn.unary(`/etcdserverpb.Auth/${method}`, reqCodec as never, resCodec as never, request as never, 10_000);
}

/**
 * Creates root and the test user with its role, enables auth, and switches the cluster's own calls to
 * root. Returns the Security the traffic uses. Throws RpcError if a step fails.
 */
export async function enableAuth(cluster: RobustCluster, profile: Profile): Promise<Security> {
  const base = cluster.adminSecurity;
  if (base === undefined) throw new Error('enableAuth needs a cluster with client TLS');
  const conn = cluster.connect(await cluster.leader());
  try {
    await call(conn, 'UserAdd', pb.AuthUserAddRequest, pb.AuthUserAddResponse, { name: 'root', password: ROOT_PASSWORD });
    await call(conn, 'UserGrantRole', pb.AuthUserGrantRoleRequest, pb.AuthUserGrantRoleResponse,
      { user: 'root', role: 'root' });
    await call(conn, 'RoleAdd', pb.AuthRoleAddRequest, pb.AuthRoleAddResponse, { name: ROLE });
    const range = permittedRange(profile);
    await call(conn, 'RoleGrantPermission', pb.AuthRoleGrantPermissionRequest, pb.AuthRoleGrantPermissionResponse,
      { name: ROLE, perm: Permission.create({ permType: Permission_Type.READWRITE, ...range }) });
    await call(conn, 'UserAdd', pb.AuthUserAddRequest, pb.AuthUserAddResponse, USER);
    await call(conn, 'UserGrantRole', pb.AuthUserGrantRoleRequest, pb.AuthUserGrantRoleResponse,
      { user: USER.name, role: ROLE });
    await call(conn, 'AuthEnable', pb.AuthEnableRequest, pb.AuthEnableResponse, {});
  } finally {
    conn.close();
  }
  cluster.adminSecurity = { ...base, user: { name: 'root', password: ROOT_PASSWORD } };
  return { ...base, user: USER };
}
