/**
 * The one table of errors tetcd returns to clients. Every entry has a stable `code` (what callers and
 * tests branch on), etcd's exact message (clients such as etcdctl and clientv3 match on it) and the
 * gRPC status code etcd uses. docs/errors.md lists the same table; errors.test.ts keeps them in sync.
 */

/** gRPC status codes (numeric values from the gRPC spec), kept here so `base` imports nothing. */
export const GrpcStatus = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5,
  ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10,
  OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
} as const;
export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

const S = GrpcStatus;

/** code → [etcd message, gRPC status]. Order follows etcd's rpctypes table. */
export const ERROR_TABLE = {
  ERR_EMPTY_KEY: ['etcdserver: key is not provided', S.INVALID_ARGUMENT],
  ERR_KEY_NOT_FOUND: ['etcdserver: key not found', S.INVALID_ARGUMENT],
  ERR_VALUE_PROVIDED: ['etcdserver: value is provided', S.INVALID_ARGUMENT],
  ERR_LEASE_PROVIDED: ['etcdserver: lease is provided', S.INVALID_ARGUMENT],
  ERR_TOO_MANY_OPS: ['etcdserver: too many operations in txn request', S.INVALID_ARGUMENT],
  ERR_DUPLICATE_KEY: ['etcdserver: duplicate key given in txn request', S.INVALID_ARGUMENT],
  ERR_INVALID_SORT_OPTION: ['etcdserver: invalid sort option', S.INVALID_ARGUMENT],
  ERR_COMPACTED: ['etcdserver: mvcc: required revision has been compacted', S.OUT_OF_RANGE],
  ERR_FUTURE_REV: ['etcdserver: mvcc: required revision is a future revision', S.OUT_OF_RANGE],
  ERR_NO_SPACE: ['etcdserver: mvcc: database space exceeded', S.RESOURCE_EXHAUSTED],
  ERR_LEASE_NOT_FOUND: ['etcdserver: requested lease not found', S.NOT_FOUND],
  ERR_LEASE_EXIST: ['etcdserver: lease already exists', S.FAILED_PRECONDITION],
  ERR_LEASE_TTL_TOO_LARGE: ['etcdserver: too large lease TTL', S.OUT_OF_RANGE],
  ERR_WATCH_CANCELED: ['etcdserver: watch canceled', S.CANCELLED],
  ERR_MEMBER_EXIST: ['etcdserver: member ID already exist', S.FAILED_PRECONDITION],
  ERR_PEER_URL_EXIST: ['etcdserver: Peer URLs already exists', S.FAILED_PRECONDITION],
  ERR_MEMBER_NOT_ENOUGH_STARTED: [
    'etcdserver: re-configuration failed due to not enough started members', S.FAILED_PRECONDITION],
  ERR_MEMBER_BAD_URLS: ['etcdserver: given member URLs are invalid', S.INVALID_ARGUMENT],
  ERR_MEMBER_NOT_FOUND: ['etcdserver: member not found', S.NOT_FOUND],
  ERR_MEMBER_NOT_LEARNER: ['etcdserver: can only promote a learner member', S.FAILED_PRECONDITION],
  ERR_LEARNER_NOT_READY: [
    'etcdserver: can only promote a learner member which is in sync with leader', S.FAILED_PRECONDITION],
  ERR_TOO_MANY_LEARNERS: ['etcdserver: too many learner members in cluster', S.FAILED_PRECONDITION],
  ERR_CLUSTER_ID_MISMATCH: ['etcdserver: cluster ID mismatch', S.FAILED_PRECONDITION],
  ERR_REQUEST_TOO_LARGE: ['etcdserver: request is too large', S.INVALID_ARGUMENT],
  ERR_TOO_MANY_REQUESTS: ['etcdserver: too many requests', S.RESOURCE_EXHAUSTED],
  ERR_ROOT_USER_NOT_EXIST: ['etcdserver: root user does not exist', S.FAILED_PRECONDITION],
  ERR_ROOT_ROLE_NOT_EXIST: ['etcdserver: root user does not have root role', S.FAILED_PRECONDITION],
  ERR_USER_ALREADY_EXIST: ['etcdserver: user name already exists', S.FAILED_PRECONDITION],
  ERR_USER_EMPTY: ['etcdserver: user name is empty', S.INVALID_ARGUMENT],
  ERR_USER_NOT_FOUND: ['etcdserver: user name not found', S.FAILED_PRECONDITION],
  ERR_ROLE_ALREADY_EXIST: ['etcdserver: role name already exists', S.FAILED_PRECONDITION],
  ERR_ROLE_NOT_FOUND: ['etcdserver: role name not found', S.FAILED_PRECONDITION],
  ERR_ROLE_EMPTY: ['etcdserver: role name is empty', S.INVALID_ARGUMENT],
  ERR_AUTH_FAILED: ['etcdserver: authentication failed, invalid user ID or password', S.INVALID_ARGUMENT],
  ERR_PERMISSION_NOT_GIVEN: ['etcdserver: permission not given', S.INVALID_ARGUMENT],
  ERR_PERMISSION_DENIED: ['etcdserver: permission denied', S.PERMISSION_DENIED],
  ERR_ROLE_NOT_GRANTED: ['etcdserver: role is not granted to the user', S.FAILED_PRECONDITION],
  ERR_PERMISSION_NOT_GRANTED: ['etcdserver: permission is not granted to the role', S.FAILED_PRECONDITION],
  ERR_AUTH_NOT_ENABLED: ['etcdserver: authentication is not enabled', S.FAILED_PRECONDITION],
  ERR_INVALID_AUTH_TOKEN: ['etcdserver: invalid auth token', S.UNAUTHENTICATED],
  ERR_INVALID_AUTH_MGMT: ['etcdserver: invalid auth management', S.INVALID_ARGUMENT],
  ERR_AUTH_OLD_REVISION: ['etcdserver: revision of auth store is old', S.INVALID_ARGUMENT],
  ERR_NO_LEADER: ['etcdserver: no leader', S.UNAVAILABLE],
  ERR_NOT_LEADER: ['etcdserver: not leader', S.FAILED_PRECONDITION],
  ERR_LEADER_CHANGED: ['etcdserver: leader changed', S.UNAVAILABLE],
  ERR_NOT_CAPABLE: ['etcdserver: not capable', S.FAILED_PRECONDITION],
  ERR_STOPPED: ['etcdserver: server stopped', S.UNAVAILABLE],
  ERR_TIMEOUT: ['etcdserver: request timed out', S.UNAVAILABLE],
  ERR_TIMEOUT_DUE_TO_LEADER_FAIL: [
    'etcdserver: request timed out, possibly due to previous leader failure', S.UNAVAILABLE],
  ERR_TIMEOUT_DUE_TO_CONNECTION_LOST: [
    'etcdserver: request timed out, possibly due to connection lost', S.UNAVAILABLE],
  ERR_TIMEOUT_WAIT_APPLIED_INDEX: [
    'etcdserver: request timed out, waiting for the applied index took too long', S.UNAVAILABLE],
  ERR_UNHEALTHY: ['etcdserver: unhealthy cluster', S.UNAVAILABLE],
  ERR_CORRUPT: ['etcdserver: corrupt cluster', S.DATA_LOSS],
  ERR_BAD_LEADER_TRANSFEREE: ['etcdserver: bad leader transferee', S.FAILED_PRECONDITION],
  ERR_LEARNER_NOT_SUPPORTED: ['etcdserver: rpc not supported for learner', S.FAILED_PRECONDITION],
  ERR_CANCELED: ['etcdserver: request canceled', S.CANCELLED],
  ERR_DEADLINE_EXCEEDED: ['etcdserver: context deadline exceeded', S.DEADLINE_EXCEEDED],
  ERR_UNIMPLEMENTED: ['unknown method', S.UNIMPLEMENTED],
  // etcd 3.4's Maintenance service (Defragment, Snapshot, Hash, HashKV, MoveLeader) returns the auth
  // store's own errors unconverted, so they reach clients as Unknown with the `auth:` wording.
  ERR_MAINTENANCE_PERMISSION_DENIED: ['auth: permission denied', S.UNKNOWN],
  ERR_MAINTENANCE_USER_EMPTY: ['auth: user name is empty', S.UNKNOWN],
  ERR_MAINTENANCE_USER_NOT_FOUND: ['auth: user not found', S.UNKNOWN],
  ERR_MAINTENANCE_INVALID_AUTH_TOKEN: ['auth: invalid auth token', S.UNKNOWN],
  // Authenticate with a password for a user added with --no-password (etcd passes this one through too).
  ERR_NO_PASSWORD_USER: ['auth: authentication failed, password was given for no password user', S.UNKNOWN],
} as const satisfies Record<string, readonly [string, GrpcStatusCode]>;

export type EtcdErrorCode = keyof typeof ERROR_TABLE;

/**
 * An operating error with etcd's wire identity. `code` is stable and is what callers branch on;
 * `message` is etcd's exact string; `grpcStatus` is the status it travels with.
 */
export class EtcdError extends Error {
  override readonly name = 'EtcdError';
  readonly code: EtcdErrorCode;
  readonly grpcStatus: GrpcStatusCode;

  constructor(code: EtcdErrorCode, options?: { cause?: unknown }) {
    const [message, status] = ERROR_TABLE[code];
    super(message, options);
    this.code = code;
    this.grpcStatus = status;
  }
}

/** Shorthand: `throw etcdError('ERR_EMPTY_KEY')`. */
export function etcdError(code: EtcdErrorCode, cause?: unknown): EtcdError {
  return cause === undefined ? new EtcdError(code) : new EtcdError(code, { cause });
}

/** True when `error` is an EtcdError with the given code. */
export function isEtcdError(error: unknown, code?: EtcdErrorCode): error is EtcdError {
  return error instanceof EtcdError && (code === undefined || error.code === code);
}

/**
 * Storage corruption: a checksum or structural check failed. Always names the file and byte offset so
 * an operator can find it; start-up stops on it.
 */
export class CorruptionError extends Error {
  override readonly name = 'CorruptionError';
  readonly code = 'ERR_CORRUPTION';
  constructor(readonly file: string, readonly offset: number, readonly detail: string) {
    super(`corruption in ${file} at offset ${offset}: ${detail}`);
  }
}
