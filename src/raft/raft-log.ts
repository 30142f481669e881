/**
 * The node's view of the log: persisted entries (Storage) followed by unstable ones, with the commit
 * and apply cursors. Invariant: firstIndex - 1 <= applied <= committed <= lastIndex.
 */
import { assert } from '../base/assert.js';
import { RaftStorageError, type Storage } from './api.js';
import { Unstable } from './unstable.js';
import type { Entry, Snapshot } from './types.js';

/** No size limit for entry slices. */
export const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** Bytes an entry counts for in size limits (payload plus a small fixed header). */
export function entrySizeBytes(entry: Entry): number {
  return entry.data.byteLength + 16;
}

/** Sum of payload sizes (used for the uncommitted-entries limit). */
export function payloadSizeBytes(entries: readonly Entry[]): number {
  let size = 0;
  for (const entry of entries) size += entry.data.byteLength;
  return size;
}

/** Keeps a prefix of `entries` whose total size is <= maxBytes, but always at least one entry. */
export function limitSize(entries: Entry[], maxBytes: number): Entry[] {
  if (entries.length === 0) return entries;
  let size = entrySizeBytes(entries[0]!);
  let count = 1;
  while (count < entries.length) {
    size += entrySizeBytes(entries[count]!);
    if (size > maxBytes) break;
    count++;
  }
  return count === entries.length ? entries : entries.slice(0, count);
}

export class RaftLog {
  readonly unstable: Unstable;
  /** Highest index known committed on a quorum. */
  committed: number;
  /** Highest index the application has applied. */
  applied: number;

  constructor(readonly storage: Storage, readonly maxNextEntsSizeBytes: number) {
    const firstIndex = storage.firstIndex();
    const lastIndex = storage.lastIndex();
    this.unstable = new Unstable(lastIndex + 1);
    this.committed = firstIndex - 1;
    this.applied = firstIndex - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /**
   * Term of entry `index`; 0 if the index is outside [firstIndex-1, lastIndex].
   * @throws RaftStorageError('compacted') if the storage compacted it concurrently.
   */
  term(index: number): number {
    const dummyIndex = this.firstIndex() - 1;
    if (index < dummyIndex || index > this.lastIndex()) return 0;
    const unstableTerm = this.unstable.maybeTerm(index);
    if (unstableTerm !== undefined) return unstableTerm;
    return this.storage.term(index);
  }

  /** term(), with 0 for compacted or unavailable indexes. */
  termOrZero(index: number): number {
    try {
      return this.term(index);
    } catch (error) {
      if (error instanceof RaftStorageError) return 0;
      throw error;
    }
  }

  matchTerm(index: number, term: number): boolean {
    return this.termOrZero(index) === term;
  }

  /** True when a log ending at (lastIndex, lastTerm) is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Follower append: if our entry at `index` has `logTerm`, append `entries` (truncating conflicts),
   * advance commit to min(commit, last new index) and return the last new index; otherwise undefined.
   * @throws AssertionError if a conflict is at or below the commit index.
   */
  maybeAppend(index: number, logTerm: number, commit: number, entries: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNewIndex = index + entries.length;
    const conflictIndex = this.findConflict(entries);
    if (conflictIndex !== 0) {
      assert(conflictIndex > this.committed, `entry ${conflictIndex} conflicts with committed ${this.committed}`);
      this.append(entries.slice(conflictIndex - (index + 1)));
    }
    this.commitTo(Math.min(commit, lastNewIndex));
    return lastNewIndex;
  }

  /** Appends entries to the unstable log. @throws AssertionError when they would overwrite committed ones. */
  append(entries: Entry[]): number {
    const first = entries[0];
    if (first === undefined) return this.lastIndex();
    assert(first.index - 1 >= this.committed, `append at ${first.index} is below committed ${this.committed}`);
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /** Index of the first entry whose term differs from ours (or which we lack), 0 if none. */
  findConflict(entries: Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /** Largest index <= `index` whose term is <= `term` (fast log back-off). */
  findConflictByTerm(index: number, term: number): number {
    let candidate = index;
    while (candidate > 0) {
      let ourTerm: number;
      try {
        ourTerm = this.term(candidate);
      } catch (error) {
        if (error instanceof RaftStorageError) break;
        throw error;
      }
      if (ourTerm <= term) break;
      candidate--;
    }
    return candidate;
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries.slice();
  }

  /** Committed entries not yet applied, limited by maxNextEntsSizeBytes (0 = unlimited). */
  nextEntries(): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed + 1 <= lo) return [];
    const maxBytes = this.maxNextEntsSizeBytes > 0 ? this.maxNextEntsSizeBytes : NO_LIMIT;
    return this.slice(lo, this.committed + 1, maxBytes);
  }

  hasNextEntries(): boolean {
    return this.committed + 1 > Math.max(this.applied + 1, this.firstIndex());
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** The snapshot to send: the pending one if any, else the storage's. @throws RaftStorageError. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** @throws AssertionError if `index` is beyond the last index (a corrupted or truncated log). */
  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), `commit ${index} is out of range [lastIndex ${this.lastIndex()}]`);
    this.committed = index;
  }

  /** @throws AssertionError unless applied <= index <= committed. */
  appliedTo(index: number): void {
    if (index === 0) return;
    assert(index <= this.committed && index >= this.applied,
      `applied(${index}) out of range [prevApplied ${this.applied}, committed ${this.committed}]`);
    this.applied = index;
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }

  /** Commits maxIndex if its entry is of `term` (or of any term when `anyTerm`). */
  maybeCommit(maxIndex: number, term: number, anyTerm: boolean): boolean {
    if (maxIndex <= this.committed) return false;
    if (!anyTerm && this.termOrZero(maxIndex) !== term) return false;
    this.commitTo(maxIndex);
    return true;
  }

  restore(snapshot: Snapshot): void {
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  /**
   * Entries in [lo, hi) up to maxBytes (at least one).
   * @throws RaftStorageError('compacted') if lo was compacted; AssertionError if hi > lastIndex + 1.
   */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    assert(lo <= hi, `invalid slice ${lo} > ${hi}`);
    const firstIndex = this.firstIndex();
    if (lo < firstIndex) throw new RaftStorageError('compacted');
    assert(hi <= this.lastIndex() + 1, `slice [${lo},${hi}) out of bound lastIndex ${this.lastIndex()}`);
    if (lo === hi) return [];
    let result: Entry[] = [];
    const offset = this.unstable.offset;
    if (lo < offset) {
      const stored = this.storage.entries(lo, Math.min(hi, offset), maxBytes);
      if (stored.length < Math.min(hi, offset) - lo) return stored;
      result = stored;
    }
    if (hi > offset) result = result.concat(this.unstable.slice(Math.max(lo, offset), hi));
    return limitSize(result, maxBytes);
  }

  /** Entries from `index` to the end, at most maxBytes. @throws RaftStorageError('compacted'). */
  entriesFrom(index: number, maxBytes: number): Entry[] {
    if (index > this.lastIndex()) return [];
    return this.slice(index, this.lastIndex() + 1, maxBytes);
  }
}
