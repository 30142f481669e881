import { IntervalIndex } from './interval-index.js';
import type { Watcher } from './watcher.js';

/**
 * A set of watchers indexed for matching event keys: single-key watchers in a map by key, range
 * watchers in an IntervalIndex. Keys are binary strings.
 */
export class WatcherGroup {
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly ranges = new IntervalIndex<Watcher>();
  private readonly all = new Set<Watcher>();

  get size(): number {
    return this.all.size;
  }

  has(watcher: Watcher): boolean {
    return this.all.has(watcher);
  }

  /** Adds `watcher` (AssertionError-free: adding twice is a no-op). */
  add(watcher: Watcher): void {
    if (this.all.has(watcher)) return;
    this.all.add(watcher);
    const { start, end, single } = watcher.range;
    if (single) {
      let set = this.byKey.get(start);
      if (set === undefined) {
        set = new Set();
        this.byKey.set(start, set);
      }
      set.add(watcher);
    } else {
      this.ranges.add(start, end, watcher);
    }
  }

  /** Removes `watcher`; returns false if it was not in the group. */
  delete(watcher: Watcher): boolean {
    if (!this.all.delete(watcher)) return false;
    const { start, end, single } = watcher.range;
    if (single) {
      const set = this.byKey.get(start);
      set?.delete(watcher);
      if (set?.size === 0) this.byKey.delete(start);
    } else {
      this.ranges.delete(start, end, watcher);
    }
    return true;
  }

  /** Calls `visit` for every watcher whose range contains `key` (a binary string). */
  forEachMatching(key: string, visit: (watcher: Watcher) => void): void {
    const exact = this.byKey.get(key);
    if (exact !== undefined) for (const watcher of exact) visit(watcher);
    this.ranges.forEachContaining(key, visit);
  }

  /** Iterates every watcher (insertion order). */
  [Symbol.iterator](): IterableIterator<Watcher> {
    return this.all.values();
  }
}
