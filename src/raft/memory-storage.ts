/**
 * In-memory Storage (reference implementation, used by tests, the simulator and the bench).
 * ents[0] is a dummy entry carrying the snapshot's index and term; ents[i] has index ents[0].index + i.
 */
import { assert } from '../base/assert.js';
import { RaftStorageError, type Storage } from './api.js';
import { limitSize } from './raft-log.js';
import { EntryType, NONE, type ConfState, type Entry, type HardState, type Snapshot } from './types.js';

/** An empty ConfState (no members). */
export function emptyConfState(): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

function dummyEntry(index: number, term: number): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array(0) };
}

export class MemoryStorage implements Storage {
  private hardState: HardState = { term: 0, vote: NONE, commit: 0 };
  private snapshotValue: Snapshot = {
    data: new Uint8Array(0), metadata: { index: 0, term: 0, confState: emptyConfState() },
  };
  private ents: Entry[] = [dummyEntry(0, 0)];

  /** The HardState and the ConfState of the latest snapshot (conf changes after it are not tracked). */
  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: this.snapshotValue.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  private get offset(): number {
    return this.ents[0]!.index;
  }

  /**
   * Entries in [lo, hi) limited to maxBytes (at least one).
   * @throws RaftStorageError('compacted') if lo <= snapshot index; ('unavailable') if hi > lastIndex + 1.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo <= this.offset) throw new RaftStorageError('compacted');
    if (hi > this.lastIndex() + 1) throw new RaftStorageError('unavailable');
    if (this.ents.length === 1) throw new RaftStorageError('unavailable');
    return limitSize(this.ents.slice(lo - this.offset, hi - this.offset), maxBytes);
  }

  /** @throws RaftStorageError('compacted') below the snapshot index, ('unavailable') past lastIndex. */
  term(i: number): number {
    if (i < this.offset) throw new RaftStorageError('compacted');
    const entry = this.ents[i - this.offset];
    if (entry === undefined) throw new RaftStorageError('unavailable');
    return entry.term;
  }

  lastIndex(): number {
    return this.offset + this.ents.length - 1;
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  snapshot(): Snapshot {
    return this.snapshotValue;
  }

  /** Replaces the log by a snapshot. @throws RaftStorageError('snap-out-of-date') if it is older. */
  applySnapshot(snapshot: Snapshot): void {
    if (this.snapshotValue.metadata.index >= snapshot.metadata.index) {
      throw new RaftStorageError('snap-out-of-date');
    }
    this.snapshotValue = snapshot;
    this.ents = [dummyEntry(snapshot.metadata.index, snapshot.metadata.term)];
  }

  /**
   * Records a snapshot of the state at `index` (which must be applied by the caller's state machine).
   * @throws RaftStorageError('snap-out-of-date') if not newer; AssertionError if index > lastIndex.
   */
  createSnapshot(index: number, confState: ConfState | undefined, data: Uint8Array): Snapshot {
    if (index <= this.snapshotValue.metadata.index) throw new RaftStorageError('snap-out-of-date');
    assert(index <= this.lastIndex(), `snapshot ${index} is out of bound lastindex(${this.lastIndex()})`);
    this.snapshotValue = {
      data,
      metadata: {
        index,
        term: this.ents[index - this.offset]!.term,
        confState: confState ?? this.snapshotValue.metadata.confState,
      },
    };
    return this.snapshotValue;
  }

  /**
   * Discards entries up to and including compactIndex (keeping its term as the new dummy).
   * @throws RaftStorageError('compacted') if already compacted; AssertionError if beyond lastIndex.
   */
  compact(compactIndex: number): void {
    if (compactIndex <= this.offset) throw new RaftStorageError('compacted');
    assert(compactIndex <= this.lastIndex(), `compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`);
    const kept = this.ents.slice(compactIndex - this.offset);
    kept[0] = dummyEntry(compactIndex, kept[0]!.term);
    this.ents = kept;
  }

  /**
   * Appends entries, replacing any existing suffix from the first new index on. Entries at or below
   * the snapshot index are skipped. @throws AssertionError if the entries leave a gap.
   */
  append(entries: Entry[]): void {
    let batch = entries;
    const firstNew = batch[0];
    if (firstNew === undefined) return;
    const first = this.firstIndex();
    const last = firstNew.index + batch.length - 1;
    if (last < first) return;
    if (first > firstNew.index) batch = batch.slice(first - firstNew.index);
    const position = batch[0]!.index - this.offset;
    assert(position <= this.ents.length, `missing log entry [last: ${this.lastIndex()}, append at: ${batch[0]!.index}]`);
    // Truncate any conflicting suffix in place, then append (no copy of the retained prefix).
    this.ents.length = position;
    for (const entry of batch) this.ents.push(entry);
  }
}
