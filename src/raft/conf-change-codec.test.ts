import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/random.js';
import { ConfChangeDecodeError, decodeConfChangeV2, encodeConfChangeV2 } from './conf-change-codec.js';
import type { ConfChangeV2 } from './types.js';

test('conf change codec round-trips random changes, including 64-bit ids', () => {
  const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
  console.log('SEED=' + seed);
  const rng = new SeededRandom(seed);
  for (let i = 0; i < 1000; i++) {
    const cc: ConfChangeV2 = {
      transition: rng.intBelow(3),
      changes: Array.from({ length: rng.intBelow(5) }, () => ({
        type: rng.intBelow(4),
        nodeId: (BigInt(rng.intBelow(2 ** 32)) << 32n) | BigInt(rng.intBelow(2 ** 32)),
      })),
      context: new Uint8Array(Array.from({ length: rng.intBelow(10) }, () => rng.intBelow(256))),
    };
    assert.deepEqual(decodeConfChangeV2(encodeConfChangeV2(cc)), cc);
  }
  const max: ConfChangeV2 = {
    transition: 0, changes: [{ type: 0, nodeId: 2n ** 64n - 1n }], context: new Uint8Array(0),
  };
  assert.deepEqual(decodeConfChangeV2(encodeConfChangeV2(max)), max);
});

test('conf change codec rejects malformed input', () => {
  const good = encodeConfChangeV2({ transition: 1, changes: [{ type: 3, nodeId: 5n }], context: new Uint8Array([1]) });
  assert.throws(() => decodeConfChangeV2(good.slice(0, good.length - 1)), ConfChangeDecodeError);
  assert.throws(() => decodeConfChangeV2(new Uint8Array(3)), ConfChangeDecodeError);
  const badType = good.slice();
  badType[6] = 9;
  assert.throws(() => decodeConfChangeV2(badType), ConfChangeDecodeError);
  const negative: ConfChangeV2 = { transition: 0, changes: [{ type: 0, nodeId: -1n }], context: new Uint8Array(0) };
  assert.throws(() => encodeConfChangeV2(negative), RangeError);
});
