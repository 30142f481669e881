/**
 * Request validation done before a request is proposed (etcd's v3rpc checks): empty keys, provided
 * value/lease with ignore flags, sort options, the txn operation budget and duplicate keys.
 * Everything here throws EtcdError and changes nothing.
 */
import { etcdError } from '../base/errors.js';
import type {
  DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest,
} from '../proto/gen/etcdserverpb.js';
import { compareBytes, validateSort } from './apply/range.js';

export function checkRangeRequest(r: RangeRequest): void {
  if (r.key.length === 0) throw etcdError('ERR_EMPTY_KEY');
  validateSort(r);
}

export function checkPutRequest(r: PutRequest): void {
  if (r.key.length === 0) throw etcdError('ERR_EMPTY_KEY');
  if (r.ignoreValue && r.value.length !== 0) throw etcdError('ERR_VALUE_PROVIDED');
  if (r.ignoreLease && r.lease !== 0n) throw etcdError('ERR_LEASE_PROVIDED');
}

export function checkDeleteRequest(r: DeleteRangeRequest): void {
  if (r.key.length === 0) throw etcdError('ERR_EMPTY_KEY');
}

export function checkTxnRequest(r: TxnRequest, maxTxnOps: number): void {
  checkTxnOps(r, maxTxnOps);
  checkIntervals(r.success);
  checkIntervals(r.failure);
}

function checkTxnOps(r: TxnRequest, maxTxnOps: number): void {
  const opCount = Math.max(r.compare.length, r.success.length, r.failure.length);
  if (opCount > maxTxnOps) throw etcdError('ERR_TOO_MANY_OPS');
  for (const c of r.compare) if (c.key.length === 0) throw etcdError('ERR_EMPTY_KEY');
  for (const op of r.success) checkRequestOp(op, maxTxnOps - opCount);
  for (const op of r.failure) checkRequestOp(op, maxTxnOps - opCount);
}

function checkRequestOp(op: RequestOp, budget: number): void {
  if (op.requestRange !== undefined) checkRangeRequest(op.requestRange);
  else if (op.requestPut !== undefined) checkPutRequest(op.requestPut);
  else if (op.requestDeleteRange !== undefined) checkDeleteRequest(op.requestDeleteRange);
  else if (op.requestTxn !== undefined) checkTxnOps(op.requestTxn, budget);
  else throw etcdError('ERR_KEY_NOT_FOUND');
}

/** A half-open byte-string interval; `end` empty means +infinity (etcd's affine string interval). */
interface Interval { begin: Uint8Array; end: Uint8Array }

function pointInterval(key: Uint8Array): Interval {
  const end = new Uint8Array(key.length + 1);
  end.set(key);
  return { begin: key, end };
}

/** Compares interval bounds where an empty bound is +infinity. */
function compareBound(a: Uint8Array, b: Uint8Array): number {
  if (a.length === 0) return b.length === 0 ? 0 : 1;
  if (b.length === 0) return -1;
  return compareBytes(a, b);
}

function intersects(intervals: Interval[], point: Uint8Array): boolean {
  const p = pointInterval(point);
  return intervals.some((iv) => compareBound(iv.begin, p.end) < 0 && compareBound(p.begin, iv.end) < 0);
}

const keyString = (key: Uint8Array): string => Buffer.from(key).toString('latin1');

/** Rejects a put to the same key twice, or a put inside a deleted range, within one branch (recursively). */
function checkIntervals(ops: RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of ops) {
    const d = op.requestDeleteRange;
    if (d === undefined) continue;
    dels.push(d.rangeEnd.length !== 0 ? { begin: d.key, end: d.rangeEnd } : pointInterval(d.key));
  }
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.requestTxn === undefined) continue;
    const then = checkIntervals(op.requestTxn.success);
    const otherwise = checkIntervals(op.requestTxn.failure);
    addNestedPuts(then.puts, puts, dels, undefined);
    addNestedPuts(otherwise.puts, puts, dels, then.puts);
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const op of ops) {
    if (op.requestPut === undefined) continue;
    const key = op.requestPut.key;
    if (puts.has(keyString(key)) || intersects(dels, key)) throw etcdError('ERR_DUPLICATE_KEY');
    puts.add(keyString(key));
  }
  return { puts, dels };
}

function addNestedPuts(nested: Set<string>, puts: Set<string>, dels: Interval[], safe: Set<string> | undefined): void {
  for (const key of nested) {
    if (puts.has(key) && !(safe?.has(key) ?? false)) throw etcdError('ERR_DUPLICATE_KEY');
    if (intersects(dels, Buffer.from(key, 'latin1'))) throw etcdError('ERR_DUPLICATE_KEY');
    puts.add(key);
  }
}
