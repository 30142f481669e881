import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RangeRequest, RangeRequest_SortOrder, RangeRequest_SortTarget } from '../../proto/gen/etcdserverpb.js';
import type { KeyValue } from '../../proto/gen/mvccpb.js';
import { applyRange, type KvReader, type RangeOptions } from './range.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A reader over fixed kvs that honours keysOnly the way the store does (values dropped). */
function readerOf(kvs: KeyValue[]): KvReader {
  return {
    range: (_k: Uint8Array, _e: Uint8Array, o: RangeOptions) => {
      let out = o.keysOnly ? kvs.map((kv) => ({ ...kv, value: new Uint8Array(0) })) : kvs;
      if ((o.limit ?? 0) > 0) out = out.slice(0, o.limit);
      return { kvs: out, count: kvs.length, revision: 9 };
    },
  };
}

const kv = (key: string, value: string, version: number, mod: number): KeyValue =>
  ({ key: enc(key), value: enc(value), version, createRevision: mod, modRevision: mod, lease: 0n });

const data = [kv('a', '2', 1, 2), kv('b', '1', 3, 5), kv('c', '3', 2, 4)];

test('keys_only with sort by VALUE sorts by the real values, then strips them', () => {
  const request = RangeRequest.create({ key: enc('a'), rangeEnd: enc('z'), keysOnly: true,
    sortOrder: RangeRequest_SortOrder.ASCEND, sortTarget: RangeRequest_SortTarget.VALUE });
  const out = applyRange(readerOf(data), request);
  assert.deepEqual(out.kvs.map((k) => dec(k.key)), ['b', 'a', 'c']);
  assert.ok(out.kvs.every((k) => k.value.length === 0));
});

test('a sort target without order sorts ascending; limit after sort sets more', () => {
  const request = RangeRequest.create({ key: enc('a'), rangeEnd: enc('z'), limit: 2,
    sortTarget: RangeRequest_SortTarget.VERSION });
  const out = applyRange(readerOf(data), request);
  assert.deepEqual(out.kvs.map((k) => dec(k.key)), ['a', 'c']);
  assert.equal(out.more, true);
  assert.equal(out.count, 3);
});

test('mod revision filters apply before the limit', () => {
  const request = RangeRequest.create({ key: enc('a'), rangeEnd: enc('z'), minModRevision: 4, limit: 1 });
  const out = applyRange(readerOf(data), request);
  assert.deepEqual(out.kvs.map((k) => dec(k.key)), ['b']);
  assert.equal(out.more, true);
});

test('descending by key', () => {
  const request = RangeRequest.create({ key: enc('a'), rangeEnd: enc('z'), sortOrder: RangeRequest_SortOrder.DESCEND });
  assert.deepEqual(applyRange(readerOf(data), request).kvs.map((k) => dec(k.key)), ['c', 'b', 'a']);
});
