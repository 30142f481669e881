import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../base/random.js';
import { enc } from '../test-util.js';
import { IntervalIndex } from './interval-index.js';
import { keyString, rangeContains, watchKeyRange } from './key-range.js';
import { Watcher } from './watcher.js';
import { WatcherGroup } from './watcher-group.js';
import { CollectingSink } from './test-support.js';

const range = (key: string, end: string) => watchKeyRange(enc(key), enc(end));

test('watchKeyRange follows etcd conventions', () => {
  assert.deepEqual(range('a', ''), { start: 'a', end: undefined, single: true });
  assert.deepEqual(range('a', '\0'), { start: 'a', end: undefined, single: false });
  assert.deepEqual(range('', '\0'), { start: '\0', end: undefined, single: false }, 'empty key means \\0');
  assert.deepEqual(range('a', 'b'), { start: 'a', end: 'b', single: false });
  assert.equal(range('b', 'a'), undefined, 'range_end <= key is empty');
  assert.equal(range('a', 'a'), undefined);
  const prefix = range('foo', 'fop')!;
  assert.ok(rangeContains(prefix, 'foo') && rangeContains(prefix, 'foo/x') && !rangeContains(prefix, 'fop'));
  assert.ok(rangeContains(range('', '\0')!, '\0') && rangeContains(range('', '\0')!, '\xff\xff'));
  assert.equal(keyString(new Uint8Array([0xff, 0x00])), '\xff\0');
});

test('IntervalIndex matches brute force on random intervals (seeded)', () => {
  const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
  console.log('SEED=' + seed);
  const random = new SeededRandom(seed);
  const alphabet = 'abcd';
  const word = () => Array.from({ length: 1 + random.intBelow(3) }, () => alphabet[random.intBelow(4)]).join('');
  const index = new IntervalIndex<number>();
  const live = new Map<number, { start: string; end: string | undefined }>();
  for (let step = 0; step < 3000; step++) {
    const roll = random.intBelow(10);
    if (roll < 4) {
      const a = word();
      const b = random.intBelow(5) === 0 ? undefined : word();
      const [start, end] = b === undefined || a < b ? [a, b] : [b, a];
      if (end === start) continue;
      index.add(start, end, step);
      live.set(step, { start, end });
    } else if (roll < 6 && live.size > 0) {
      const ids = [...live.keys()];
      const id = ids[random.intBelow(ids.length)]!;
      const { start, end } = live.get(id)!;
      assert.ok(index.delete(start, end, id));
      live.delete(id);
    } else {
      const key = word();
      const found: number[] = [];
      index.forEachContaining(key, (id) => found.push(id));
      const expected = [...live]
        .filter(([, r]) => key >= r.start && (r.end === undefined || key < r.end)).map(([id]) => id);
      assert.deepEqual(found.sort((x, y) => x - y), expected.sort((x, y) => x - y), `key ${key} at step ${step}`);
    }
  }
  assert.equal(index.size, live.size);
});

test('WatcherGroup matches exact keys and ranges, and forgets removed watchers', () => {
  const sink = new CollectingSink();
  const options = { noPut: false, noDelete: false };
  const exact = new Watcher(1, range('a', '')!, 1, options, sink);
  const prefix = new Watcher(2, range('a', 'b')!, 1, options, sink);
  const all = new Watcher(3, range('', '\0')!, 1, options, sink);
  const group = new WatcherGroup();
  for (const w of [exact, prefix, all]) group.add(w);
  group.add(exact);
  assert.equal(group.size, 3);
  const ids = (key: string) => {
    const out: number[] = [];
    group.forEachMatching(key, (w) => out.push(w.id));
    return out.sort();
  };
  assert.deepEqual(ids('a'), [1, 2, 3]);
  assert.deepEqual(ids('a1'), [2, 3]);
  assert.deepEqual(ids('b'), [3]);
  assert.ok(group.delete(prefix));
  assert.ok(!group.delete(prefix));
  assert.deepEqual(ids('a1'), [3]);
  assert.ok(group.delete(exact));
  assert.deepEqual(ids('a'), [3]);
});
