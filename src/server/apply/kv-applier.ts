/**
 * The KV part of the apply chain: Put, DeleteRange, Txn and Compact applied to the MVCC store, with the
 * response shapes (including nested header revisions) etcd produces. A txn is validated against the
 * store (lease existence, ignore_value/ignore_lease keys, range revisions) before anything is written,
 * so a failing txn changes nothing.
 */
import { assert } from '../../base/assert.js';
import { etcdError } from '../../base/errors.js';
import {
  CompactionResponse, DeleteRangeResponse, PutResponse, RangeResponse, ResponseHeader, ResponseOp, TxnResponse,
  type CompactionRequest, type DeleteRangeRequest, type PutRequest, type RangeRequest, type RequestOp,
  type TxnRequest,
} from '../../proto/gen/etcdserverpb.js';
import { Event_EventType, type Event } from '../../proto/gen/mvccpb.js';
import { compareToPath, isTxnReadOnly } from './compare.js';
import { applyRange, type KvReader, type RangeOptions, type RangeResult } from './range.js';
import { WriteView, type MvccWrite } from './write-view.js';

/** The MVCC store as the applier needs it (implemented by src/mvcc's MvccStore). */
export interface KvStore {
  range(key: Uint8Array, rangeEnd: Uint8Array, options: RangeOptions): RangeResult;
  currentRevision(): number;
  compactRevision(): number;
  write(): MvccWrite;
  compact(revision: number): { done: Promise<void> };
}

/** Leases as the applier needs them (src/lease's Lessor implements it). */
export interface LeaseLookup {
  exists(id: bigint): boolean;
  /** A put with lease `id` was applied to `key`. */
  attach?(id: bigint, key: Uint8Array): void;
  /** `key` left lease `id` (deleted, or put with another lease or none). */
  detach?(id: bigint, key: Uint8Array): void;
}

export interface WriteOutcome<T> { response: T; events: Event[]; revision: number }

export class KvApplier {
  constructor(private readonly store: KvStore, private readonly leases: LeaseLookup) {}

  /** A read (Range) against the current store state. */
  range(request: RangeRequest): RangeResponse {
    const outcome = applyRange(this.store, request);
    return RangeResponse.create({
      header: ResponseHeader.create({ revision: outcome.revision }),
      kvs: outcome.kvs, more: outcome.more, count: outcome.count,
    });
  }

  put(request: PutRequest): WriteOutcome<PutResponse> {
    if (request.lease !== 0n && !this.leases.exists(request.lease)) throw etcdError('ERR_LEASE_NOT_FOUND');
    const view = this.beginWrite();
    let response: PutResponse;
    try {
      response = this.applyPut(view, request);
    } catch (error) {
      view.end();
      throw error;
    }
    const { events } = view.end();
    this.trackLeases(events);
    return { response, events, revision: view.revision() };
  }

  deleteRange(request: DeleteRangeRequest): WriteOutcome<DeleteRangeResponse> {
    const view = this.beginWrite();
    const response = this.applyDelete(view, request);
    const { events } = view.end();
    this.trackLeases(events);
    return { response, events, revision: view.revision() };
  }

  txn(request: TxnRequest): WriteOutcome<TxnResponse> {
    if (isTxnReadOnly(request)) {
      const path = compareToPath(this.store, request);
      this.checkRequests(this.store, request, path, false);
      const response = newTxnResponse(request, path).response;
      this.executeTxn(this.store, request, path, response);
      response.header!.revision = this.store.currentRevision();
      return { response, events: [], revision: this.store.currentRevision() };
    }
    const view = this.beginWrite();
    const path = compareToPath(view, request);
    try {
      this.checkRequests(view, request, path, true);
    } catch (error) {
      view.end();
      throw error;
    }
    const response = newTxnResponse(request, path).response;
    this.executeTxn(view, request, path, response);
    const { events } = view.end();
    this.trackLeases(events);
    response.header!.revision = view.revision();
    return { response, events, revision: view.revision() };
  }

  /** Validates and schedules a compaction; `done` settles when the backend deletion finishes. */
  compact(request: CompactionRequest): { response: CompactionResponse; done: Promise<void> } {
    const { done } = this.store.compact(request.revision);
    const response = CompactionResponse.create({ header: ResponseHeader.create() });
    return { response, done };
  }

  /** Moves keys between leases as the applied events say (prevKv holds the key's previous lease). */
  private trackLeases(events: Event[]): void {
    for (const event of events) {
      const previous = event.prevKv?.lease ?? 0n;
      const next = event.type === Event_EventType.PUT ? event.kv?.lease ?? 0n : 0n;
      const key = event.kv?.key;
      if (previous === next || key === undefined) continue;
      if (previous !== 0n) this.leases.detach?.(previous, key);
      if (next !== 0n) this.leases.attach?.(next, key);
    }
  }

  private beginWrite(): WriteView {
    return new WriteView(this.store.write(), this.store.currentRevision());
  }

  private applyPut(view: WriteView, p: PutRequest): PutResponse {
    const response = PutResponse.create({ header: ResponseHeader.create() });
    let existing = undefined;
    if (p.ignoreValue || p.ignoreLease || p.prevKv) existing = view.range(p.key, EMPTY, {}).kvs[0];
    if ((p.ignoreValue || p.ignoreLease) && existing === undefined) throw etcdError('ERR_KEY_NOT_FOUND');
    const value = p.ignoreValue ? existing!.value : p.value;
    const lease = p.ignoreLease ? existing!.lease : p.lease;
    if (p.prevKv && existing !== undefined) response.prevKv = existing;
    response.header!.revision = view.put(p.key, value, lease);
    return response;
  }

  private applyDelete(view: WriteView, d: DeleteRangeRequest): DeleteRangeResponse {
    const response = DeleteRangeResponse.create({ header: ResponseHeader.create() });
    if (d.prevKv) response.prevKvs = view.range(d.key, d.rangeEnd, {}).kvs;
    const { deleted, revision } = view.deleteRange(d.key, d.rangeEnd);
    response.deleted = deleted;
    response.header!.revision = revision;
    return response;
  }

  private applyRangeOp(reader: KvReader, r: RangeRequest): RangeResponse {
    const outcome = applyRange(reader, r);
    return RangeResponse.create({
      header: ResponseHeader.create({ revision: outcome.revision }),
      kvs: outcome.kvs, more: outcome.more, count: outcome.count,
    });
  }

  /** Executes the chosen branches; returns how many nested txns were consumed from `path`. */
  private executeTxn(reader: KvReader, txn: TxnRequest, path: boolean[], response: TxnResponse): number {
    const ops = path[0] ? txn.success : txn.failure;
    let rest = path.slice(1);
    let consumed = 0;
    ops.forEach((op, i) => {
      const slot = response.responses[i]!;
      if (op.requestRange !== undefined) slot.responseRange = this.applyRangeOp(reader, op.requestRange);
      else if (op.requestPut !== undefined) slot.responsePut = this.applyPut(reader as WriteView, op.requestPut);
      else if (op.requestDeleteRange !== undefined) {
        slot.responseDeleteRange = this.applyDelete(reader as WriteView, op.requestDeleteRange);
      } else if (op.requestTxn !== undefined) {
        const nested = this.executeTxn(reader, op.requestTxn, rest, slot.responseTxn!);
        consumed += nested + 1;
        rest = rest.slice(nested + 1);
      }
    });
    return consumed;
  }

  /** Pre-checks the chosen branches so a txn fails before writing anything. */
  private checkRequests(reader: KvReader, txn: TxnRequest, path: boolean[], isWrite: boolean): number {
    const ops = path[0] ? txn.success : txn.failure;
    let rest = path.slice(1);
    let consumed = 0;
    for (const op of ops) {
      if (op.requestTxn !== undefined) {
        const nested = this.checkRequests(reader, op.requestTxn, rest, isWrite);
        consumed += nested + 1;
        rest = rest.slice(nested + 1);
      } else {
        this.checkOp(reader, op, isWrite);
      }
    }
    return consumed;
  }

  private checkOp(reader: KvReader, op: RequestOp, isWrite: boolean): void {
    const put = op.requestPut;
    if (isWrite && put !== undefined) {
      if (put.lease !== 0n && !this.leases.exists(put.lease)) throw etcdError('ERR_LEASE_NOT_FOUND');
      if ((put.ignoreValue || put.ignoreLease) && reader.range(put.key, EMPTY, {}).kvs.length === 0) {
        throw etcdError('ERR_KEY_NOT_FOUND');
      }
    }
    const range = op.requestRange;
    if (range !== undefined && range.revision !== 0) {
      if (range.revision > this.store.currentRevision()) throw etcdError('ERR_FUTURE_REV');
      if (range.revision < this.store.compactRevision()) throw etcdError('ERR_COMPACTED');
    }
  }
}

const EMPTY = new Uint8Array(0);

/** Builds the response skeleton for the chosen branches (etcd's newTxnResp). */
function newTxnResponse(txn: TxnRequest, path: boolean[]): { response: TxnResponse; consumed: number } {
  assert(path.length > 0, 'txn path is empty');
  const ops = path[0] ? txn.success : txn.failure;
  let rest = path.slice(1);
  let consumed = 0;
  const responses = ops.map((op) => {
    if (op.requestTxn === undefined) return ResponseOp.create();
    const nested = newTxnResponse(op.requestTxn, rest);
    rest = rest.slice(nested.consumed + 1);
    consumed += nested.consumed + 1;
    return ResponseOp.create({ responseTxn: nested.response });
  });
  const response = TxnResponse.create({ header: ResponseHeader.create(), succeeded: path[0]!, responses });
  return { response, consumed };
}
