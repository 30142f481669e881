/**
 * The v3lockpb.Lock service, implemented on the server's own KV API (etcd's mutex recipe run
 * server-side): Lock{name, lease} creates `name/<lease hex>` (bound to the lease) if absent and waits
 * until it is the key with the lowest create revision under `name/`; Unlock{key} deletes the key.
 * Waiting polls the store (no watch); a cancelled call deletes its own key, as the client recipe does.
 * Also exports the small KV helpers the Election service shares.
 */
import type * as grpc from '@grpc/grpc-js';
import { etcdError } from '../base/errors.js';
import {
  Compare, Compare_CompareResult, Compare_CompareTarget, DeleteRangeRequest, PutRequest, RangeRequest,
  RangeRequest_SortOrder, RangeRequest_SortTarget, RequestOp, TxnRequest, type ResponseHeader,
} from '../proto/gen/etcdserverpb.js';
import type { KeyValue } from '../proto/gen/mvccpb.js';
import { LockResponse, UnlockResponse, type LockRequest, type UnlockRequest } from '../proto/gen/v3lockpb.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { unary, type LeaderProbe } from './unary.js';
import { serverForCall } from './auth-context.js';

/** How often a waiter re-checks whether the keys ahead of it are gone. */
export const WAIT_POLL_INTERVAL_MS = 25;

const encoder = new TextEncoder();

/** `prefix/` + the lease id in lower-case hex, as clientv3's concurrency package names keys. */
export function ownKey(prefix: Uint8Array, lease: bigint): Uint8Array {
  return concat(prefix, encoder.encode(`/${BigInt.asUintN(64, lease).toString(16)}`));
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The range end covering every key that starts with `prefix` (etcd's GetPrefixRangeEnd). */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return new Uint8Array([0]);
}

/**
 * Creates `key` = `value` with `lease` unless it exists. Returns the key as stored (created or found)
 * and the header of the txn. Throws EtcdError (ERR_LEASE_NOT_FOUND, raft errors).
 */
export async function createIfAbsent(server: EtcdServer, key: Uint8Array, value: Uint8Array, lease: bigint,
): Promise<{ kv: KeyValue; created: boolean; header: ResponseHeader | undefined }> {
  const get = RequestOp.create({ requestRange: RangeRequest.create({ key }) });
  const response = await server.txn(TxnRequest.create({
    compare: [Compare.create({
      result: Compare_CompareResult.EQUAL, target: Compare_CompareTarget.CREATE, key, createRevision: 0,
    })],
    success: [RequestOp.create({ requestPut: PutRequest.create({ key, value, lease }) }), get],
    failure: [get],
  }));
  const range = response.responses[response.succeeded ? 1 : 0]?.responseRange;
  const kv = range?.kvs[0];
  if (kv === undefined) throw new Error(`key ${new TextDecoder().decode(key)} vanished while being created`);
  return { kv, created: response.succeeded, header: response.header };
}

/** The key under `prefix/` with the lowest create revision, if any (serializable: local state). */
export async function firstCreated(server: EtcdServer, prefix: Uint8Array, maxCreateRevision = 0,
): Promise<KeyValue | undefined> {
  const range = await server.range(RangeRequest.create({
    key: prefix, rangeEnd: prefixEnd(prefix), limit: 1, serializable: true,
    sortOrder: RangeRequest_SortOrder.ASCEND, sortTarget: RangeRequest_SortTarget.CREATE, maxCreateRevision,
  }));
  return range.kvs[0];
}

/**
 * Waits until no key under `prefix/` was created before `revision` (the recipe's waitDeletes).
 * Throws EtcdError ERR_CANCELED when `cancelled()` turns true first.
 */
export async function waitForOlderKeysDeleted(server: EtcdServer, prefix: Uint8Array, revision: number,
  cancelled: () => boolean): Promise<void> {
  for (;;) {
    if (await firstCreated(server, prefix, revision - 1) === undefined) return;
    if (cancelled()) throw etcdError('ERR_CANCELED');
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_INTERVAL_MS));
  }
}

/**
 * etcd's lock and election servers hand back the errors of their internal client as they are, so clients
 * see gRPC Unknown with etcd's message (e.g. `2 etcdserver: requested lease not found`). Rethrows so.
 */
export function asUnknown(error: unknown): never {
  throw new Error(error instanceof Error ? error.message : String(error));
}

/** Handlers for grpc-js `addService(LockService, ...)`. Throws nothing. */
export function lockHandlers(server: EtcdServer, probe: LeaderProbe): grpc.UntypedServiceImplementation {
  return {
    lock: unary(probe, async (request, call) =>
      lock(await serverForCall(server, call as never), request as LockRequest, () => call.cancelled).catch(asUnknown)),
    unlock: unary(probe, async (request, call) => {
      const scoped = await serverForCall(server, call as never);
      const response = await scoped.deleteRange(DeleteRangeRequest.create({ key: (request as UnlockRequest).key }))
        .catch(asUnknown);
      return UnlockResponse.create({ header: response.header });
    }),
  };
}

async function lock(server: EtcdServer, request: LockRequest, cancelled: () => boolean): Promise<LockResponse> {
  const { name, lease } = request;
  const key = ownKey(name, lease);
  const { kv, header } = await createIfAbsent(server, key, new Uint8Array(0), lease);
  try {
    await waitForOlderKeysDeleted(server, concat(name, encoder.encode('/')), kv.createRevision, cancelled);
  } catch (error) {
    await server.deleteRange(DeleteRangeRequest.create({ key })).catch(() => undefined);
    throw error;
  }
  return LockResponse.create({ header: header ?? server.header(), key });
}
