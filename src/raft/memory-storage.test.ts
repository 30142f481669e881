import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftStorageError } from './api.js';
import { MemoryStorage, emptyConfState } from './memory-storage.js';
import { EntryType, type Entry } from './types.js';

function ent(index: number, term: number): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array(0) };
}

const isKind = (kind: string) => (e: unknown): boolean => e instanceof RaftStorageError && e.kind === kind;

test('append truncates conflicting suffixes and skips compacted entries', () => {
  const s = new MemoryStorage();
  s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
  s.append([ent(2, 2)]);
  assert.equal(s.lastIndex(), 2);
  assert.equal(s.term(2), 2);
  s.compact(1);
  s.append([ent(1, 1), ent(2, 2), ent(3, 2)]);
  assert.equal(s.firstIndex(), 2);
  assert.equal(s.lastIndex(), 3);
  assert.throws(() => s.append([ent(5, 2)]));
});

test('term/entries errors at the edges', () => {
  const s = new MemoryStorage();
  s.append([ent(1, 1), ent(2, 1), ent(3, 2)]);
  s.compact(2);
  assert.equal(s.term(2), 1);
  assert.throws(() => s.term(1), isKind('compacted'));
  assert.throws(() => s.term(4), isKind('unavailable'));
  assert.throws(() => s.entries(2, 4, 100), isKind('compacted'));
  assert.throws(() => s.entries(3, 5, 100), isKind('unavailable'));
  assert.deepEqual(s.entries(3, 4, 0).map((e) => e.index), [3]);
  assert.throws(() => s.compact(2), isKind('compacted'));
});

test('snapshots: create, apply, out of date', () => {
  const s = new MemoryStorage();
  s.append([ent(1, 1), ent(2, 1), ent(3, 2)]);
  const cs = { ...emptyConfState(), voters: [1n, 2n] };
  const snap = s.createSnapshot(3, cs, new Uint8Array([7]));
  assert.equal(snap.metadata.term, 2);
  assert.throws(() => s.createSnapshot(2, cs, new Uint8Array(0)), isKind('snap-out-of-date'));
  const other = new MemoryStorage();
  other.applySnapshot(snap);
  assert.equal(other.firstIndex(), 4);
  assert.equal(other.lastIndex(), 3);
  assert.deepEqual(other.initialState().confState.voters, [1n, 2n]);
  assert.throws(() => other.applySnapshot(snap), isKind('snap-out-of-date'));
  other.setHardState({ term: 2, vote: 1n, commit: 3 });
  assert.deepEqual(other.initialState().hardState, { term: 2, vote: 1n, commit: 3 });
});
