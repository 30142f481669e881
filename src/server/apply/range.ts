/**
 * Range as etcd's apply layer performs it: fetch (limit+1 to learn `more`, or everything when sorting or
 * filtering by revision), filter by min/max mod/create revision, sort (stable; etcd sorts ascending by
 * the target when only a target is given), truncate to the limit, strip values for keys_only.
 */
import { etcdError } from '../../base/errors.js';
import type { KeyValue } from '../../proto/gen/mvccpb.js';
import { RangeRequest_SortOrder, RangeRequest_SortTarget, type RangeRequest } from '../../proto/gen/etcdserverpb.js';

export interface RangeOptions { revision?: number; limit?: number; countOnly?: boolean; keysOnly?: boolean }
export interface RangeResult { kvs: KeyValue[]; count: number; revision: number }

/** Anything ranges can be read from: the store itself or an open write transaction. */
export interface KvReader {
  range(key: Uint8Array, rangeEnd: Uint8Array, options: RangeOptions): RangeResult;
}

export interface RangeOutcome { kvs: KeyValue[]; more: boolean; count: number; revision: number }

/** Throws ERR_INVALID_SORT_OPTION for enum values etcd does not define. */
export function validateSort(request: RangeRequest): void {
  if (!(request.sortOrder in RANGE_ORDER_NAMES) || !(request.sortTarget in RANGE_TARGET_NAMES)) {
    throw etcdError('ERR_INVALID_SORT_OPTION');
  }
}

const RANGE_ORDER_NAMES: Record<number, string> = { 0: 'NONE', 1: 'ASCEND', 2: 'DESCEND' };
const RANGE_TARGET_NAMES: Record<number, string> = { 0: 'KEY', 1: 'VERSION', 2: 'CREATE', 3: 'MOD', 4: 'VALUE' };

export function applyRange(reader: KvReader, request: RangeRequest): RangeOutcome {
  const needsAll = request.sortOrder !== RangeRequest_SortOrder.NONE || request.minModRevision !== 0 ||
    request.maxModRevision !== 0 || request.minCreateRevision !== 0 || request.maxCreateRevision !== 0;
  let limit = needsAll ? 0 : request.limit;
  if (limit > 0) limit += 1;
  // Values are needed to sort by value even when only keys are returned; they are stripped below.
  const keysOnly = request.keysOnly && request.sortTarget !== RangeRequest_SortTarget.VALUE;
  const result = reader.range(request.key, request.rangeEnd, {
    revision: request.revision, limit, countOnly: request.countOnly, keysOnly,
  });
  let kvs = filterByRevision(result.kvs, request);
  kvs = sortKvs(kvs, request);
  let more = false;
  if (request.limit > 0 && kvs.length > request.limit) {
    kvs = kvs.slice(0, request.limit);
    more = true;
  }
  if (request.keysOnly) kvs = kvs.map((kv) => (kv.value.length === 0 ? kv : { ...kv, value: EMPTY }));
  return { kvs, more, count: result.count, revision: result.revision };
}

const EMPTY = new Uint8Array(0);

function filterByRevision(kvs: KeyValue[], r: RangeRequest): KeyValue[] {
  if (r.minModRevision === 0 && r.maxModRevision === 0 && r.minCreateRevision === 0 && r.maxCreateRevision === 0) {
    return kvs;
  }
  return kvs.filter((kv) =>
    (r.maxModRevision === 0 || kv.modRevision <= r.maxModRevision) &&
    (r.minModRevision === 0 || kv.modRevision >= r.minModRevision) &&
    (r.maxCreateRevision === 0 || kv.createRevision <= r.maxCreateRevision) &&
    (r.minCreateRevision === 0 || kv.createRevision >= r.minCreateRevision));
}

function sortKvs(kvs: KeyValue[], r: RangeRequest): KeyValue[] {
  let order = r.sortOrder;
  if (r.sortTarget !== RangeRequest_SortTarget.KEY && order === RangeRequest_SortOrder.NONE) {
    order = RangeRequest_SortOrder.ASCEND;
  }
  if (order === RangeRequest_SortOrder.NONE) return kvs;
  const compare = comparatorFor(r.sortTarget);
  const sorted = [...kvs];
  if (order === RangeRequest_SortOrder.ASCEND) sorted.sort(compare);
  else sorted.sort((a, b) => compare(b, a));
  return sorted;
}

function comparatorFor(target: number): (a: KeyValue, b: KeyValue) => number {
  switch (target) {
    case RangeRequest_SortTarget.VERSION: return (a, b) => a.version - b.version;
    case RangeRequest_SortTarget.CREATE: return (a, b) => a.createRevision - b.createRevision;
    case RangeRequest_SortTarget.MOD: return (a, b) => a.modRevision - b.modRevision;
    case RangeRequest_SortTarget.VALUE: return (a, b) => compareBytes(a.value, b.value);
    default: return (a, b) => compareBytes(a.key, b.key);
  }
}

/** Byte-wise comparison (Go's bytes.Compare). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
