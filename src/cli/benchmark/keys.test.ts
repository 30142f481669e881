import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKeyPlan, encodeKey, keyNumberFor, makeValue } from './keys.js';

test('keys are big-endian in the low bytes, zero padded', () => {
  assert.deepEqual([...encodeKey(0, 4)], [0, 0, 0, 0]);
  assert.deepEqual([...encodeKey(258, 4)], [0, 0, 1, 2]);
  assert.deepEqual([...encodeKey(2 ** 40 + 5, 8)], [0, 0, 1, 0, 0, 0, 0, 5]);
  assert.throws(() => encodeKey(256, 1), /does not fit/);
  assert.throws(() => encodeKey(-1, 8), /bad key number/);
});

test('sequential keys cycle through the key space; random keys stay inside it', () => {
  const plan = { keySizeBytes: 8, keySpaceSize: 3, sequentialKeys: true };
  assert.deepEqual([0, 1, 2, 3, 4].map((n) => keyNumberFor(plan, n)), [0, 1, 2, 0, 1]);
  const randomPlan = { ...plan, sequentialKeys: false, keySpaceSize: 10 };
  assert.equal(keyNumberFor(randomPlan, 0, () => 0.999999), 9);
  assert.equal(keyNumberFor(randomPlan, 0, () => 0), 0);
});

test('sequential keys sort in key-number order', () => {
  const keys = [5, 300, 70000].map((n) => Buffer.from(encodeKey(n, 8)));
  assert.deepEqual([...keys].sort(Buffer.compare), keys);
});

test('plans and values are validated', () => {
  assert.throws(() => checkKeyPlan({ keySizeBytes: 0, keySpaceSize: 1, sequentialKeys: false }), /key size/);
  assert.throws(() => checkKeyPlan({ keySizeBytes: 8, keySpaceSize: 0, sequentialKeys: false }), /key space/);
  assert.equal(makeValue(256).length, 256);
  assert.equal(makeValue(0).length, 0);
  assert.throws(() => makeValue(-1), /bad value size/);
});
