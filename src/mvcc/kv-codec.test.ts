import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKeyValue, encodeKeyValue, makeKeyValue } from './kv-codec.js';
import { CorruptionError } from '../base/errors.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

test('KeyValue encoding matches gogo-protobuf bytes (zero fields omitted, field order)', () => {
  const kv = makeKeyValue({ key: enc('foo'), createRevision: 2, modRevision: 300, version: 1, value: enc('bar'), lease: 5n });
  assert.deepEqual([...encodeKeyValue(kv)],
    [0x0a, 3, 0x66, 0x6f, 0x6f, 0x10, 2, 0x18, 0xac, 0x02, 0x20, 1, 0x2a, 3, 0x62, 0x61, 0x72, 0x30, 5]);
  assert.deepEqual([...encodeKeyValue(makeKeyValue({ key: enc('a') }))], [0x0a, 1, 0x61]);
  assert.deepEqual(decodeKeyValue(encodeKeyValue(kv)), kv);
});

test('KeyValue round-trips large values and 64-bit leases', () => {
  const kv = makeKeyValue({
    key: new Uint8Array(300).fill(1), createRevision: 2 ** 40, modRevision: 2 ** 53 - 1, version: 7,
    value: new Uint8Array(70_000).fill(9), lease: -2n,
  });
  assert.deepEqual(decodeKeyValue(encodeKeyValue(kv)), kv);
  const big = makeKeyValue({ key: enc('k'), lease: 0x7fffffffffffffffn });
  assert.deepEqual(decodeKeyValue(encodeKeyValue(big)), big);
  assert.throws(() => decodeKeyValue(new Uint8Array([0x0a, 5, 1])), CorruptionError);
});
