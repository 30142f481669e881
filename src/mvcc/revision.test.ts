import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRevision, encodeRevision, isTombstoneKey, revisionKeyString } from './revision.js';
import { CorruptionError } from '../base/errors.js';

test('revision keys use etcd layout: 8-byte BE main, underscore, 8-byte BE sub, optional t', () => {
  const bytes = encodeRevision(0x0102, 3);
  assert.deepEqual([...bytes], [0, 0, 0, 0, 0, 0, 1, 2, 0x5f, 0, 0, 0, 0, 0, 0, 0, 3]);
  const tomb = encodeRevision(5, 0, true);
  assert.equal(tomb.length, 18);
  assert.equal(tomb[17], 0x74);
  assert.ok(isTombstoneKey(tomb));
  assert.ok(!isTombstoneKey(bytes));
  assert.deepEqual(decodeRevision(tomb), { main: 5, sub: 0, tombstone: true });
  assert.deepEqual(decodeRevision(bytes), { main: 0x0102, sub: 3, tombstone: false });
  assert.equal(revisionKeyString(1, 2).length, 17);
});

test('revision keys sort like revisions and reject malformed input', () => {
  const keys = [[3, 1], [1, 9], [2, 0], [1, 2]].map(([m, s]) => Buffer.from(encodeRevision(m!, s!)));
  keys.sort(Buffer.compare);
  assert.deepEqual(keys.map((k) => decodeRevision(k)).map((r) => [r.main, r.sub]), [[1, 2], [1, 9], [2, 0], [3, 1]]);
  assert.throws(() => decodeRevision(new Uint8Array(5)), CorruptionError);
  const bad = encodeRevision(1, 1);
  bad[8] = 0;
  assert.throws(() => decodeRevision(bad), CorruptionError);
  const huge = encodeRevision(1, 0);
  huge[0] = 0xff;
  assert.throws(() => decodeRevision(huge), CorruptionError);
  assert.throws(() => encodeRevision(-1, 0));
});
