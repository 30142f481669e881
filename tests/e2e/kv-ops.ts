/**
 * The operation model of the differential test: random Put / Delete / Range / Txn / Compact requests
 * over a small key space, their translation into raw etcd gRPC requests under a per-run key prefix,
 * and a canonical form of each response (revisions relative to the run's base revision, keys without
 * the prefix) so responses from two servers can be compared with deepEqual.
 */
import fc from 'fast-check';
import type {
  ICompare, IDeleteRangeRequest, IKeyValue, IPutRequest, IRangeRequest, IRequestOp, IResponseOp,
} from 'etcd3';
import { assert } from '../../src/base/assert.js';

/** Keys of the model (under the run prefix); 'a' < 'ab' < 'b' exercises prefix and interval edges. */
export const KEYS = ['a', 'ab', 'b', 'c', 'd'] as const;
const VALUES = ['', 'v1', 'v2', 'x', 'zz'] as const;
/** Largest relative revision generated (runs are at most OPS_PER_RUN_MAX ops long). */
export const OPS_PER_RUN_MAX = 24;
const REL_REV_MAX = 12;

export type RangeSpec =
  | { kind: 'single'; key: number }
  | { kind: 'prefix' }
  | { kind: 'interval'; from: number; to: number }
  | { kind: 'fromKey'; key: number };

export interface RangeOp {
  kind: 'range';
  range: RangeSpec;
  /** 0: latest; n > 0: base + n. */
  relRev: number;
  limit: number;
  sortOrder: number;
  sortTarget: number;
  keysOnly: boolean;
  countOnly: boolean;
}
export interface PutOp { kind: 'put'; key: number; value: string; prevKv: boolean }
export interface DeleteOp { kind: 'delete'; range: RangeSpec; prevKv: boolean }
export interface CompareSpec {
  target: 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';
  result: number;
  key: number;
  prefix: boolean;
  /** Version, relative revision (0 stays 0) or index into VALUES, by target. */
  operand: number;
}
export interface TxnOp {
  kind: 'txn';
  compares: CompareSpec[];
  success: (PutOp | DeleteOp | RangeOp)[];
  failure: (PutOp | DeleteOp | RangeOp)[];
}
export interface CompactOp { kind: 'compact'; relRev: number }
export type KvOp = PutOp | DeleteOp | RangeOp | TxnOp | CompactOp;

/** etcd's Compare.CompareTarget values. */
const COMPARE_TARGET = { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3 } as const;

const keyIndex = fc.integer({ min: 0, max: KEYS.length - 1 });
const rangeSpec: fc.Arbitrary<RangeSpec> = fc.oneof(
  keyIndex.map((key) => ({ kind: 'single' as const, key })),
  fc.constant({ kind: 'prefix' as const }),
  fc.tuple(keyIndex, keyIndex).map(([from, to]) => ({ kind: 'interval' as const, from, to })),
  keyIndex.map((key) => ({ kind: 'fromKey' as const, key })),
);
const putOp: fc.Arbitrary<PutOp> = fc.record({
  kind: fc.constant('put' as const), key: keyIndex,
  value: fc.constantFrom(...VALUES), prevKv: fc.boolean(),
});
const deleteOp: fc.Arbitrary<DeleteOp> = fc.record({
  kind: fc.constant('delete' as const), range: rangeSpec, prevKv: fc.boolean(),
});
const rangeOp: fc.Arbitrary<RangeOp> = fc.record({
  kind: fc.constant('range' as const), range: rangeSpec,
  relRev: fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, fc.integer({ min: 1, max: REL_REV_MAX })),
  limit: fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, fc.integer({ min: 1, max: 3 })),
  sortOrder: fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, fc.integer({ min: 1, max: 2 })),
  sortTarget: fc.integer({ min: 0, max: 4 }),
  keysOnly: fc.boolean(), countOnly: fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, fc.constant(true)),
});
const compareSpec: fc.Arbitrary<CompareSpec> = fc.record({
  target: fc.constantFrom('VERSION' as const, 'CREATE' as const, 'MOD' as const, 'VALUE' as const),
  result: fc.integer({ min: 0, max: 3 }), key: keyIndex, prefix: fc.boolean(),
  operand: fc.integer({ min: 0, max: VALUES.length - 1 }),
});
const txnRequest = fc.oneof(putOp, deleteOp, rangeOp);
const txnOp: fc.Arbitrary<TxnOp> = fc.record({
  kind: fc.constant('txn' as const), compares: fc.array(compareSpec, { maxLength: 3 }),
  success: fc.array(txnRequest, { maxLength: 3 }), failure: fc.array(txnRequest, { maxLength: 3 }),
});
const compactOp: fc.Arbitrary<CompactOp> = fc.record({
  kind: fc.constant('compact' as const), relRev: fc.integer({ min: 1, max: REL_REV_MAX }),
});

/** A random operation; puts dominate so ranges and compares see data. */
export const kvOp: fc.Arbitrary<KvOp> = fc.oneof(
  { arbitrary: putOp, weight: 5 }, { arbitrary: deleteOp, weight: 2 }, { arbitrary: rangeOp, weight: 3 },
  { arbitrary: txnOp, weight: 3 }, { arbitrary: compactOp, weight: 1 },
);

/** Maps model revisions and keys to absolute ones for one run on one server. */
export class RunFrame {
  constructor(readonly prefix: string, readonly baseRevision: number) {
    assert(prefix.length > 0 && !prefix.includes('\0'), 'prefix must be non-empty');
    assert(Number.isSafeInteger(baseRevision) && baseRevision >= 1, `bad base revision ${baseRevision}`);
  }

  key(index: number): Buffer {
    const name = KEYS[index];
    assert(name !== undefined, `bad key index ${index}`);
    return Buffer.from(this.prefix + name);
  }

  /** The first key after every key of this run (etcd's prefix range end). */
  prefixEnd(): Buffer {
    const end = Buffer.from(this.prefix);
    assert(end[end.length - 1]! < 0xff, 'prefix must not end in 0xff');
    end[end.length - 1] = end[end.length - 1]! + 1;
    return end;
  }

  absRev(rel: number): number {
    return rel === 0 ? 0 : this.baseRevision + rel;
  }

  relRev(abs: string | number): number {
    const value = Number(abs);
    assert(Number.isSafeInteger(value), `revision not a safe integer: ${abs}`);
    return value === 0 ? 0 : value - this.baseRevision;
  }

  /** key / range_end for a RangeSpec; "fromKey" stays inside the run (ends at prefixEnd). */
  range(spec: RangeSpec): { key: Buffer; range_end?: Buffer } {
    switch (spec.kind) {
      case 'single': return { key: this.key(spec.key) };
      case 'prefix': return { key: Buffer.from(this.prefix), range_end: this.prefixEnd() };
      case 'interval': return { key: this.key(spec.from), range_end: this.key(spec.to) };
      case 'fromKey': return { key: this.key(spec.key), range_end: this.prefixEnd() };
    }
  }

  put(op: PutOp): IPutRequest {
    return { key: this.key(op.key), value: Buffer.from(op.value), prev_kv: op.prevKv };
  }

  deleteRange(op: DeleteOp): IDeleteRangeRequest {
    return { ...this.range(op.range), prev_kv: op.prevKv };
  }

  rangeRequest(op: RangeOp): IRangeRequest {
    return {
      ...this.range(op.range), revision: this.absRev(op.relRev), limit: op.limit,
      sort_order: op.sortOrder, sort_target: op.sortTarget, keys_only: op.keysOnly, count_only: op.countOnly,
    };
  }

  compare(spec: CompareSpec): ICompare {
    const target = COMPARE_TARGET[spec.target];
    const base: ICompare = { key: this.key(spec.key), result: spec.result, target };
    if (spec.prefix) base.range_end = this.prefixEnd();
    switch (spec.target) {
      case 'VERSION': return { ...base, version: spec.operand };
      case 'CREATE': return { ...base, create_revision: this.absRev(spec.operand) };
      case 'MOD': return { ...base, mod_revision: this.absRev(spec.operand) };
      case 'VALUE': return { ...base, value: Buffer.from(VALUES[spec.operand] ?? '') };
    }
  }

  requestOp(op: PutOp | DeleteOp | RangeOp): IRequestOp {
    switch (op.kind) {
      case 'put': return { request_put: this.put(op) };
      case 'delete': return { request_delete_range: this.deleteRange(op) };
      case 'range': return { request_range: this.rangeRequest(op) };
    }
  }

  /** A key-value in canonical form (run-relative key and revisions, value as text). */
  kv(kv: IKeyValue): Record<string, unknown> {
    const key = kv.key.toString('utf8');
    assert(key.startsWith(this.prefix), `key ${key} outside run prefix ${this.prefix}`);
    return {
      key: key.slice(this.prefix.length), create: this.relRev(kv.create_revision),
      mod: this.relRev(kv.mod_revision), version: Number(kv.version), value: kv.value.toString('utf8'),
      lease: kv.lease,
    };
  }

  /** A txn response entry in canonical form. */
  responseOp(response: IResponseOp, request: PutOp | DeleteOp | RangeOp | undefined): unknown {
    if (response.response_put !== undefined && response.response_put !== null) {
      return { put: this.header(response.response_put.header), prev: this.optionalKv(response.response_put.prev_kv) };
    }
    if (response.response_delete_range !== undefined && response.response_delete_range !== null) {
      const del = response.response_delete_range;
      return { del: this.header(del.header), deleted: del.deleted, prev: del.prev_kvs.map((kv) => this.kv(kv)) };
    }
    const range = response.response_range;
    assert(range !== undefined && range !== null, 'txn response of an unexpected kind');
    assert(request?.kind === 'range', 'a range response answers a range request');
    return { range: this.header(range.header), ...this.rangeBody(range, request) };
  }

  /** Count, more and kvs of a range response; kvs in canonicalOrder for the request's sort. */
  rangeBody(response: { kvs: IKeyValue[]; count: string; more: boolean }, request: RangeOp): Record<string, unknown> {
    const kvs = response.kvs.map((kv) => this.kv(kv));
    const truncated = response.more && request.limit > 0 && kvs.length >= request.limit;
    // keys_only hides the values a VALUE sort ordered by, so ties cannot be recognised: compare the
    // exact order (etcd's sort is stable for the few keys a run has, and so must tetcd's be).
    const sortTarget = request.keysOnly && request.sortTarget === SORT_TARGET_VALUE ? 0 : request.sortTarget;
    return { count: response.count, more: response.more, kvs: canonicalOrder(kvs, sortTarget, truncated) };
  }

  header(header: { revision: string } | undefined | null): number {
    assert(header !== undefined && header !== null, 'response without header');
    return this.relRev(header.revision);
  }

  optionalKv(kv: IKeyValue | undefined | null): unknown {
    return kv === undefined || kv === null ? null : this.kv(kv);
  }
}

const SORT_FIELD = ['key', 'version', 'create', 'mod', 'value'] as const;
const SORT_TARGET_VALUE = 4;

/**
 * etcd sorts with an unstable sort, so the order of entries that tie on a non-key sort target is
 * unspecified: within each run of equal sort values, order by key. When a limit truncated the result,
 * which members of the last tie group made it is unspecified too: that group is reduced to its
 * sort value and size.
 */
export function canonicalOrder(kvs: Record<string, unknown>[], sortTarget: number,
  truncated: boolean): Record<string, unknown>[] {
  const field = SORT_FIELD[sortTarget];
  assert(field !== undefined, `bad sort target ${sortTarget}`);
  if (field === 'key') return kvs;
  const out: Record<string, unknown>[] = [];
  let group: Record<string, unknown>[] = [];
  const flush = (): void => {
    group.sort((x, y) => String(x['key']).localeCompare(String(y['key'])));
    out.push(...group);
    group = [];
  };
  for (const kv of kvs) {
    if (group.length > 0 && group[0]![field] !== kv[field]) flush();
    group.push(kv);
  }
  if (truncated && group.length > 0) {
    out.push({ tieGroup: group[0]![field], size: group.length });
    return out;
  }
  flush();
  return out;
}
