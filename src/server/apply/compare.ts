/**
 * Txn compare evaluation exactly as etcd: every key in [key, range_end) must satisfy the compare; a
 * missing key compares as a zero KeyValue, except that a VALUE compare on a missing key is always false.
 */
import {
  Compare_CompareResult, Compare_CompareTarget, type Compare, type TxnRequest,
} from '../../proto/gen/etcdserverpb.js';
import type { KeyValue } from '../../proto/gen/mvccpb.js';
import { compareBytes, type KvReader } from './range.js';

const ZERO_KV: KeyValue = {
  key: new Uint8Array(0), createRevision: 0, modRevision: 0, version: 0, value: new Uint8Array(0), lease: 0n,
};

export function applyCompares(reader: KvReader, compares: readonly Compare[]): boolean {
  return compares.every((c) => applyCompare(reader, c));
}

function applyCompare(reader: KvReader, c: Compare): boolean {
  let kvs: KeyValue[];
  try {
    kvs = reader.range(c.key, c.rangeEnd, {}).kvs;
  } catch {
    return false;
  }
  if (kvs.length === 0) {
    if (c.target === Compare_CompareTarget.VALUE) return false;
    return compareKv(c, ZERO_KV);
  }
  return kvs.every((kv) => compareKv(c, kv));
}

function compareKv(c: Compare, kv: KeyValue): boolean {
  let result: number;
  switch (c.target) {
    case Compare_CompareTarget.VALUE: result = compareBytes(kv.value, c.value ?? EMPTY); break;
    case Compare_CompareTarget.CREATE: result = Math.sign(kv.createRevision - (c.createRevision ?? 0)); break;
    case Compare_CompareTarget.MOD: result = Math.sign(kv.modRevision - (c.modRevision ?? 0)); break;
    case Compare_CompareTarget.VERSION: result = Math.sign(kv.version - (c.version ?? 0)); break;
    case Compare_CompareTarget.LEASE: {
      const want = c.lease ?? 0n;
      result = kv.lease === want ? 0 : kv.lease > want ? 1 : -1;
      break;
    }
    default: result = 0;
  }
  switch (c.result) {
    case Compare_CompareResult.EQUAL: return result === 0;
    case Compare_CompareResult.NOT_EQUAL: return result !== 0;
    case Compare_CompareResult.GREATER: return result > 0;
    case Compare_CompareResult.LESS: return result < 0;
    default: return true;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * The branch taken at every txn level, depth-first in request order (etcd's txnPath): element 0 is the
 * outer txn's compare result, then the nested txns of the chosen branch.
 */
export function compareToPath(reader: KvReader, txn: TxnRequest): boolean[] {
  const succeeded = applyCompares(reader, txn.compare);
  const path = [succeeded];
  for (const op of succeeded ? txn.success : txn.failure) {
    if (op.requestTxn !== undefined) path.push(...compareToPath(reader, op.requestTxn));
  }
  return path;
}

/** True when no operation at any depth writes. */
export function isTxnReadOnly(txn: TxnRequest): boolean {
  return [...txn.success, ...txn.failure].every((op) =>
    op.requestPut === undefined && op.requestDeleteRange === undefined &&
    (op.requestTxn === undefined || isTxnReadOnly(op.requestTxn)));
}
