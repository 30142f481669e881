import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/random.js';
import { DELETED, PendingBatch } from './pending-batch.js';

const SEED = Number(process.env.SEED ?? Date.now() % 2 ** 31);
console.log('SEED=' + SEED);

test('keysInRange stays sorted across in-order appends, out-of-order inserts and overwrites', () => {
  const random = new SeededRandom(SEED);
  const batch = new PendingBatch();
  const model = new Set<string>();
  for (let step = 0; step < 3000; step++) {
    const appendInOrder = random.intBelow(4) !== 0;
    const key = appendInOrder ? `z${String(step).padStart(6, '0')}` : `a${random.intBelow(500)}`;
    batch.set('key', key, random.intBelow(5) === 0 ? DELETED : new Uint8Array([1]));
    model.add(key);
    if (step % 7 === 0) {
      const start = `a${random.intBelow(500)}`;
      const expected = [...model].filter((k) => k >= start).sort();
      assert.deepEqual(batch.keysInRange('key', start, undefined), expected);
    }
  }
  assert.equal(batch.opCount, 3000);
  assert.ok(batch.isEmpty('meta'));
  batch.freeze();
  assert.throws(() => batch.set('key', 'x', DELETED));
});
