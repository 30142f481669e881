/**
 * The v3lockpb.Lock service, implemented on the server's own KV API (etcd's mutex recipe run
 * server-side): Lock{name, lease} creates `name/<lease hex>` (bound to the lease) if absent and waits
 * until it is the key with the lowest create revision under `name/`; Unlock{key} deletes the key.
 * Waiting watches the applied events for the delete of the key with the next-lower create revision
 * (lock-wait.ts, no polling): waiters are served in create-revision order, a waiter whose lease expires
 * or is revoked drops out ("mutex: session is expired"), and a cancelled call deletes its own key, as the
 * client recipe does. Also exports the small KV helpers the Election service shares.
 */
import type * as grpc from '@grpc/grpc-js';
import {
  Compare, Compare_CompareResult, Compare_CompareTarget, DeleteRangeRequest, PutRequest, RangeRequest,
  RangeRequest_SortOrder, RangeRequest_SortTarget, RequestOp, TxnRequest, type ResponseHeader,
} from '../proto/gen/etcdserverpb.js';
import type { KeyValue } from '../proto/gen/mvccpb.js';
import { LockResponse, UnlockResponse, type LockRequest, type UnlockRequest } from '../proto/gen/v3lockpb.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { unary, type LeaderProbe } from './unary.js';
import { serverForCall } from './auth-context.js';
import { callSignal, prefixEnd, waitForPredecessorsDeleted } from './lock-wait.js';

export { prefixEnd };

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
      lock(await serverForCall(server, call as never), server, request as LockRequest, callSignal(call))
        .catch(asUnknown)),
    unlock: unary(probe, async (request, call) => {
      const scoped = await serverForCall(server, call as never);
      const response = await scoped.deleteRange(DeleteRangeRequest.create({ key: (request as UnlockRequest).key }))
        .catch(asUnknown);
      return UnlockResponse.create({ header: response.header });
    }),
  };
}

async function lock(server: EtcdServer, root: EtcdServer, request: LockRequest, signal: AbortSignal,
): Promise<LockResponse> {
  const { name, lease } = request;
  const key = ownKey(name, lease);
  const { kv, header } = await createIfAbsent(server, key, new Uint8Array(0), lease);
  const target = { prefix: concat(name, encoder.encode('/')), ownKey: key, ownCreateRevision: kv.createRevision };
  try {
    await waitForPredecessorsDeleted(server, root, target, signal, 'mutex: session is expired');
  } catch (error) {
    await server.deleteRange(DeleteRangeRequest.create({ key })).catch(() => undefined);
    throw error;
  }
  return LockResponse.create({ header: header ?? server.header(), key });
}
