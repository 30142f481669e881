/**
 * A tiny raw gRPC KV client for tests, built on the `etcd3` package's low-level KVClient (which
 * returns etcd's response messages field by field: revisions as decimal strings, keys/values as
 * Buffers). etcd3's retry and circuit-breaker policies are replaced by a pass-through, so each call
 * is exactly one RPC and every error reaches the test.
 */
import { Etcd3, type IOptions, type KVClient } from 'etcd3';
import { assert } from '../../src/base/assert.js';

/** Default deadline of one RPC. */
export const CALL_TIMEOUT_MS_DEFAULT = 10_000;

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/** A policy that runs the call once, with no retry and no circuit breaker. */
const passThrough = {
  execute: <T>(fn: (context: { signal: AbortSignal; attempt: number }) => T | Promise<T>): Promise<T> =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal, attempt: 0 })),
} as unknown as Policy;

export interface KvTestClient {
  /** etcd3's raw KV service client (range / put / deleteRange / txn / compact). */
  readonly kv: KVClient;
  /** Closes the underlying channel. */
  close(): void;
}

/**
 * Creates a KV client for `endpoint` (`127.0.0.1:PORT`). Connection is lazy: nothing is dialled
 * until the first call.
 */
export function createKvClient(endpoint: string, callTimeoutMs = CALL_TIMEOUT_MS_DEFAULT): KvTestClient {
  assert(endpoint.startsWith('127.0.0.1:'), `tests use 127.0.0.1 only, got ${endpoint}`);
  assert(callTimeoutMs > 0, 'callTimeoutMs must be positive');
  const client = new Etcd3({
    hosts: `http://${endpoint}`,
    faultHandling: { host: () => passThrough, global: passThrough },
    defaultCallOptions: () => ({ deadline: Date.now() + callTimeoutMs }),
  });
  return { kv: client.kv, close: () => client.close() };
}

/**
 * The server's error text without client decoration: the `etcdserver: ...` part when present,
 * else the gRPC details after the `CODE NAME:` prefix (e.g. `14 UNAVAILABLE: ...`).
 */
export function grpcErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const etcdAt = message.indexOf('etcdserver: ');
  if (etcdAt >= 0) return message.slice(etcdAt);
  return message.replace(/^\d+ [A-Z_]+: /, '');
}
