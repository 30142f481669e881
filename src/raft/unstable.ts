/**
 * Entries (and possibly a snapshot) the node has accepted but the application has not yet persisted.
 * entries[i] has index offset + i. Invariant: if snapshot is set, offset === snapshot index + 1.
 */
import { assert } from '../base/assert.js';
import type { Entry, Snapshot } from './types.js';

export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  /** First index known here (only when a snapshot is pending). */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === index) return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || index > last) return undefined;
    return this.entries[index - this.offset]!.term;
  }

  /** The application persisted entries up to (index, term): drop them unless they were replaced since. */
  stableTo(index: number, term: number): void {
    const current = this.maybeTerm(index);
    if (current === undefined || current !== term || index < this.offset) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === index) this.snapshot = undefined;
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  /** Appends `entries`, first truncating any existing suffix they conflict with. */
  truncateAndAppend(entries: Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const after = first.index;
    if (after === this.offset + this.entries.length) {
      this.entries = this.entries.concat(entries);
    } else if (after <= this.offset) {
      // Replaces everything unstable (the storage suffix is replaced when these are persisted).
      this.offset = after;
      this.entries = entries.slice();
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(entries);
    }
  }

  /** Entries in [lo, hi). @throws AssertionError when out of the unstable range. */
  slice(lo: number, hi: number): Entry[] {
    assert(lo <= hi, `invalid unstable slice ${lo} > ${hi}`);
    const upper = this.offset + this.entries.length;
    assert(lo >= this.offset && hi <= upper, `unstable slice [${lo},${hi}) out of [${this.offset},${upper}]`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
