/** RaftLog + Unstable: append, conflicts, truncation, commit/apply bounds, slicing across storage. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssertionError } from '../base/assert.js';
import { RaftStorageError } from './api.js';
import { MemoryStorage } from './memory-storage.js';
import { NO_LIMIT, RaftLog, limitSize } from './raft-log.js';
import { EntryType, type Entry } from './types.js';

function ent(index: number, term: number, data = ''): Entry {
  return { index, term, type: EntryType.Normal, data: new TextEncoder().encode(data) };
}

function logWith(stored: Entry[], unstable: Entry[] = []): RaftLog {
  const storage = new MemoryStorage();
  storage.append(stored);
  const log = new RaftLog(storage, 0);
  log.append(unstable);
  return log;
}

const terms = (entries: Entry[]): number[] => entries.map((e) => e.term);

test('maybeAppend appends, ignores duplicates and truncates conflicts', () => {
  const log = logWith([ent(1, 1), ent(2, 2), ent(3, 3)]);
  assert.equal(log.maybeAppend(3, 3, 3, [ent(4, 4)]), 4);
  assert.equal(log.committed, 3);
  assert.equal(log.lastIndex(), 4);
  // A duplicate of existing entries changes nothing.
  assert.equal(log.maybeAppend(1, 1, 3, [ent(2, 2), ent(3, 3)]), 3);
  assert.equal(log.lastIndex(), 4);
  // Mismatching previous term: rejected.
  assert.equal(log.maybeAppend(3, 2, 4, [ent(4, 5)]), undefined);
  // Conflict at 4 (term 4 -> 5) truncates the suffix.
  assert.equal(log.maybeAppend(3, 3, 4, [ent(4, 5), ent(5, 5)]), 5);
  assert.deepEqual(terms(log.slice(1, 6, NO_LIMIT)), [1, 2, 3, 5, 5]);
  assert.equal(log.committed, 4);
  // Conflicting with a committed entry is a broken invariant.
  assert.throws(() => log.maybeAppend(1, 1, 4, [ent(2, 9)]), AssertionError);
});

test('findConflictByTerm walks back to a term <= the given one', () => {
  const log = logWith([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2), ent(5, 4)]);
  assert.equal(log.findConflictByTerm(5, 3), 4);
  assert.equal(log.findConflictByTerm(5, 1), 2);
  assert.equal(log.findConflictByTerm(5, 4), 5);
  assert.equal(log.findConflictByTerm(5, 0), 0);
});

test('commit and apply bounds', () => {
  const log = logWith([ent(1, 1), ent(2, 1)]);
  log.commitTo(2);
  assert.throws(() => log.commitTo(3), AssertionError);
  log.commitTo(1); // never decreases
  assert.equal(log.committed, 2);
  log.appliedTo(1);
  assert.throws(() => log.appliedTo(3), AssertionError);
  assert.deepEqual(log.nextEntries().map((e) => e.index), [2]);
  assert.ok(log.maybeCommit(2, 1, false) === false);
});

test('maybeCommit only commits entries of the given term unless anyTerm', () => {
  const log = logWith([ent(1, 1), ent(2, 2)]);
  assert.equal(log.maybeCommit(2, 3, false), false);
  assert.equal(log.maybeCommit(2, 2, false), true);
  const other = logWith([ent(1, 1), ent(2, 2)]);
  assert.equal(other.maybeCommit(2, 3, true), true);
});

test('slices span storage and unstable, respect size limits and compaction', () => {
  const storage = new MemoryStorage();
  storage.append([ent(1, 1, 'a'), ent(2, 1, 'b'), ent(3, 1, 'c')]);
  storage.compact(1);
  const log = new RaftLog(storage, 0);
  log.append([ent(4, 2, 'd'), ent(5, 2, 'e')]);
  assert.deepEqual(log.slice(2, 6, NO_LIMIT).map((e) => e.index), [2, 3, 4, 5]);
  assert.deepEqual(log.slice(2, 6, 1).map((e) => e.index), [2]);
  assert.throws(() => log.slice(1, 3, NO_LIMIT), (e: unknown) => e instanceof RaftStorageError && e.kind === 'compacted');
  assert.equal(log.term(1), 1);
  assert.equal(log.term(0), 0);
  assert.equal(log.term(9), 0);
  assert.equal(log.firstIndex(), 2);
  // Entries become stable when persisted.
  storage.append(log.unstableEntries());
  log.stableTo(5, 2);
  assert.equal(log.unstableEntries().length, 0);
  assert.equal(log.lastIndex(), 5);
});

test('unstable truncateAndAppend replaces suffixes', () => {
  const log = logWith([], [ent(1, 1), ent(2, 1), ent(3, 1)]);
  log.append([ent(2, 2)]);
  assert.deepEqual(terms(log.unstableEntries()), [1, 2]);
  // stableTo with a stale term is ignored.
  log.stableTo(2, 1);
  assert.equal(log.unstableEntries().length, 2);
  log.stableTo(1, 1);
  assert.equal(log.unstableEntries().length, 1);
});

test('isUpToDate compares last term then last index', () => {
  const log = logWith([ent(1, 1), ent(2, 2)]);
  assert.ok(log.isUpToDate(2, 2));
  assert.ok(log.isUpToDate(1, 3));
  assert.ok(!log.isUpToDate(5, 1));
  assert.ok(!log.isUpToDate(1, 2));
});

test('limitSize keeps at least one entry', () => {
  const entries = [ent(1, 1, 'xxxx'), ent(2, 1, 'yyyy')];
  assert.equal(limitSize(entries, 0).length, 1);
  assert.equal(limitSize(entries, NO_LIMIT).length, 2);
});
