import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/random.js';
import { EntryType, type Entry, type Snapshot } from '../raft/types.js';
import { SimDisk, type DiskImage } from './disk.js';

function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term, type: EntryType.Normal, data: new Uint8Array([i]) });
  return out;
}

function snapshot(index: number, term: number): Snapshot {
  const confState = { voters: [1n], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  return { data: new Uint8Array(0), metadata: { index, term, confState } };
}

const empty: DiskImage = { snapshot: undefined, hardState: { term: 0, vote: 0n, commit: 0 }, entries: [] };
const indexes = (image: DiskImage): number[] => image.entries.map((e) => e.index);

test('unsynced writes are lost on crash; synced ones survive', () => {
  const disk = new SimDisk(empty);
  disk.write({ kind: 'append', entries: entries(1, 3, 1) });
  disk.write({ kind: 'hardState', hardState: { term: 1, vote: 1n, commit: 2 } });
  assert.deepEqual(indexes(disk.durable()), []);
  disk.fsync();
  disk.write({ kind: 'append', entries: entries(4, 5, 1) });
  const image = disk.crash(new SeededRandom(1), 0);
  assert.deepEqual(indexes(image), [1, 2, 3]);
  assert.deepEqual(image.hardState, { term: 1, vote: 1n, commit: 2 });
  assert.equal(disk.pendingCount, 0);
});

test('a torn crash keeps a prefix of the unsynced writes', () => {
  const seed = Number(process.env.SEED ?? 11);
  console.log('SEED=' + seed);
  const random = new SeededRandom(seed);
  const seen = new Set<number>();
  for (let round = 0; round < 50; round++) {
    const disk = new SimDisk(empty);
    for (let i = 1; i <= 5; i++) disk.write({ kind: 'append', entries: entries(i, i, 1) });
    const kept = indexes(disk.crash(random, 1));
    assert.deepEqual(kept, entries(1, kept.length, 1).map((e) => e.index), 'survivors form a prefix');
    seen.add(kept.length);
  }
  assert.ok(seen.size > 2, 'different prefixes survive');
});

test('append truncates a conflicting suffix', () => {
  const disk = new SimDisk(empty);
  disk.write({ kind: 'append', entries: entries(1, 5, 1) });
  disk.write({ kind: 'append', entries: entries(3, 4, 2) });
  disk.fsync();
  const image = disk.durable();
  assert.deepEqual(indexes(image), [1, 2, 3, 4]);
  assert.deepEqual(image.entries.map((e) => e.term), [1, 1, 2, 2]);
  const gap = new SimDisk(empty);
  gap.write({ kind: 'append', entries: entries(3, 4, 1) });
  assert.throws(() => gap.fsync(), /gap/);
});

test('snapshots: installed ones replace the log, local ones compact it', () => {
  const disk = new SimDisk(empty);
  disk.write({ kind: 'append', entries: entries(1, 10, 1) });
  disk.write({ kind: 'localSnapshot', snapshot: snapshot(8, 1), compactIndex: 6 });
  disk.fsync();
  assert.deepEqual(indexes(disk.durable()), [7, 8, 9, 10]);
  assert.equal(disk.durable().snapshot?.metadata.index, 8);
  disk.write({ kind: 'append', entries: entries(11, 11, 2) });
  disk.fsync();
  assert.deepEqual(indexes(disk.durable()), [7, 8, 9, 10, 11]);
  disk.write({ kind: 'installSnapshot', snapshot: snapshot(20, 3) });
  disk.write({ kind: 'append', entries: entries(21, 22, 3) });
  disk.fsync();
  assert.deepEqual(indexes(disk.durable()), [21, 22]);
  assert.equal(disk.durable().snapshot?.metadata.index, 20);
});
