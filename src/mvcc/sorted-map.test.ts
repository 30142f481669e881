import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/random.js';
import { SortedStringMap } from './sorted-map.js';

const SEED = Number(process.env.SEED ?? Date.now() % 2 ** 31);
console.log('SEED=' + SEED);

function randomKey(random: SeededRandom): string {
  let key = '';
  const length = 1 + random.intBelow(4);
  for (let i = 0; i < length; i++) key += String.fromCharCode(random.intBelow(256));
  return key;
}

test('chunked sorted map matches a Map + sort model through splits, deletes and rebuilds', () => {
  const random = new SeededRandom(SEED);
  const map = new SortedStringMap<number>();
  const model = new Map<string, number>();
  for (let step = 0; step < 20_000; step++) {
    const key = randomKey(random);
    const dice = random.intBelow(100);
    if (dice < 65) {
      map.set(key, step);
      model.set(key, step);
    } else if (dice < 95) {
      assert.equal(map.delete(key), model.delete(key));
    } else if (dice < 96) {
      const drop = (value: number): boolean => value % 3 === 0;
      map.updateAll((_k, value) => (drop(value) ? undefined : value + 1));
      for (const [k, value] of model) {
        if (drop(value)) model.delete(k);
        else model.set(k, value + 1);
      }
    }
    assert.equal(map.get(key), model.get(key));
    if (step % 1000 === 0 || dice === 99) {
      const start = randomKey(random);
      const end = random.intBelow(2) === 0 ? undefined : randomKey(random);
      const expected = [...model].filter(([k]) => k >= start && (end === undefined || k < end))
        .sort(([a], [b]) => (a < b ? -1 : 1));
      const actual: Array<[string, number]> = [];
      map.forEachInRange(start, end, (k, v) => void actual.push([k, v]));
      assert.deepEqual(actual, expected);
    }
  }
  assert.equal(map.size, model.size);
  const all: string[] = [];
  map.forEachInRange('', undefined, (k) => void all.push(k));
  assert.deepEqual(all, [...model.keys()].sort((a, b) => (a < b ? -1 : 1)));
});

test('forEachInRange stops when the visitor returns false', () => {
  const map = new SortedStringMap<number>();
  for (let i = 0; i < 2000; i++) map.set(String(i).padStart(5, '0'), i);
  const seen: number[] = [];
  map.forEachInRange('00100', undefined, (_k, v) => {
    seen.push(v);
    return seen.length < 3;
  });
  assert.deepEqual(seen, [100, 101, 102]);
});

test('deleting every key empties chunks and the map stays usable', () => {
  const map = new SortedStringMap<number>();
  for (let i = 0; i < 3000; i++) map.set(String(i).padStart(5, '0'), i);
  for (let i = 2999; i >= 0; i -= 2) assert.ok(map.delete(String(i).padStart(5, '0')));
  for (let i = 0; i < 3000; i += 2) assert.ok(map.delete(String(i).padStart(5, '0')));
  assert.equal(map.size, 0);
  assert.equal(map.delete('00001'), false);
  map.set('x', 1);
  assert.equal(map.get('x'), 1);
  assert.equal(map.size, 1);
});
