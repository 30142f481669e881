import { assert } from '../../base/assert.js';

/** Stands for "no upper bound": greater than every binary string (all chars are < 0x100). */
const UNBOUNDED = '\u0100';

interface IntervalEntry<T> {
  readonly start: string;
  /** Exclusive end; UNBOUNDED for "every key >= start". */
  readonly end: string;
  readonly members: Set<T>;
}

/**
 * Stabbing index over half-open key intervals [start, end) of binary strings. Members with the same
 * interval share one entry (many watchers on one prefix cost one entry). Queries binary-search the
 * entries sorted by start and walk left while the prefix maximum of `end` still covers the key, so a
 * key touching few intervals is cheap even with many disjoint intervals. The sorted view is rebuilt
 * lazily after adds or removes of distinct intervals.
 */
export class IntervalIndex<T> {
  private readonly entries = new Map<string, IntervalEntry<T>>();
  private sorted: IntervalEntry<T>[] = [];
  private prefixMaxEnd: string[] = [];
  private dirty = false;
  private memberCount = 0;

  /** Number of members (not distinct intervals). */
  get size(): number {
    return this.memberCount;
  }

  /** Adds `member` for [start, end); end undefined = unbounded. Throws AssertionError on a duplicate. */
  add(start: string, end: string | undefined, member: T): void {
    const id = entryId(start, end);
    let entry = this.entries.get(id);
    if (entry === undefined) {
      entry = { start, end: end ?? UNBOUNDED, members: new Set() };
      this.entries.set(id, entry);
      this.dirty = true;
    }
    assert(!entry.members.has(member), 'member already in the interval index');
    entry.members.add(member);
    this.memberCount++;
  }

  /** Removes `member` from [start, end); returns false if it was not there. */
  delete(start: string, end: string | undefined, member: T): boolean {
    const id = entryId(start, end);
    const entry = this.entries.get(id);
    if (entry === undefined || !entry.members.delete(member)) return false;
    this.memberCount--;
    if (entry.members.size === 0) {
      this.entries.delete(id);
      this.dirty = true;
    }
    return true;
  }

  /** Calls `visit` for every member whose interval contains `key`. */
  forEachContaining(key: string, visit: (member: T) => void): void {
    if (this.memberCount === 0) return;
    if (this.dirty) this.rebuild();
    let index = this.lastStartAtOrBefore(key);
    for (; index >= 0; index--) {
      if (this.prefixMaxEnd[index]! <= key) break;
      const entry = this.sorted[index]!;
      if (entry.end > key) for (const member of entry.members) visit(member);
    }
  }

  private lastStartAtOrBefore(key: string): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.sorted[middle]!.start <= key) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  }

  private rebuild(): void {
    this.sorted = [...this.entries.values()].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    this.prefixMaxEnd = new Array<string>(this.sorted.length);
    let maxEnd = '';
    for (let i = 0; i < this.sorted.length; i++) {
      const end = this.sorted[i]!.end;
      if (end > maxEnd) maxEnd = end;
      this.prefixMaxEnd[i] = maxEnd;
    }
    this.dirty = false;
  }
}

function entryId(start: string, end: string | undefined): string {
  // start and end are binary strings (chars < 0x100), so 0x100 separates them unambiguously.
  return `${start}${UNBOUNDED}${end ?? UNBOUNDED}`;
}
