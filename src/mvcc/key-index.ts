import { assert } from '../base/assert.js';
import {
  compactGenerations, findAt, keepGenerations, liveGeneration, newGenerations, putRevision, restorePut,
  tombstoneRevision, type Generations,
} from './generations.js';
import { revisionKeyString } from './revision.js';
import { SortedStringMap } from './sorted-map.js';

/**
 * A key interval in index terms: binary-string keys, `end` undefined = unbounded, `single` = exactly
 * `start`. Built by keyInterval() in range-end.ts from etcd's key/range_end conventions.
 */
export interface KeyInterval {
  start: string;
  end: string | undefined;
  single: boolean;
}

/** Revisions found by KeyIndex.range: parallel arrays, in key order. */
export interface IndexRange {
  keys: string[];
  mains: number[];
  subs: number[];
  /** Keys in the interval at the revision, ignoring the limit. */
  count: number;
}

/**
 * The in-memory MVCC index (etcd's treeIndex): user key (binary string) → generations of revisions.
 * Not persisted; rebuilt from the `key` bucket at open.
 */
export class KeyIndex {
  constructor(private readonly map = new SortedStringMap<Generations>()) {}

  /** Number of keys with any history (live or with retained history). */
  get size(): number {
    return this.map.size;
  }

  /** Records a put of `key` at (main, sub). Asserts it is newer than the key's last revision. */
  put(key: string, main: number, sub: number): void {
    const g = this.map.get(key);
    if (g === undefined) this.map.set(key, newGenerations(main, sub));
    else putRevision(g, main, sub);
  }

  /** Records a deletion of a live key. Throws AssertionError when the key is not live. */
  tombstone(key: string, main: number, sub: number): void {
    const g = this.map.get(key);
    assert(g !== undefined, 'tombstone of an unknown key');
    tombstoneRevision(g, main, sub);
  }

  /**
   * Used by restore: a put whose KeyValue says the generation was created at `createdMain` and has
   * reached `version`. Starts a generation if the key is not live (etcd's keyIndex.restore).
   */
  restorePut(key: string, main: number, sub: number, createdMain: number, version: number): void {
    const g = this.map.get(key);
    const next = restorePut(g, { main, sub, createdMain, version });
    if (g === undefined) this.map.set(key, next);
  }

  /** Used by restore: a tombstone; ignored when the key is unknown or already deleted. */
  restoreTombstone(key: string, main: number, sub: number): void {
    const g = this.map.get(key);
    if (g !== undefined && liveGeneration(g) !== undefined) tombstoneRevision(g, main, sub);
  }

  /** The live generation of `key` ({createdMain, version}) or undefined if deleted/unknown. */
  live(key: string): { createdMain: number; version: number } | undefined {
    const g = this.map.get(key);
    return g === undefined ? undefined : liveGeneration(g);
  }

  /** The revision of `key` visible at `atRev`, or undefined. */
  get(key: string, atRev: number): { main: number; sub: number } | undefined {
    const g = this.map.get(key);
    if (g === undefined) return undefined;
    const position = findAt(g, atRev);
    return position < 0 ? undefined : { main: g[position]!, sub: g[position + 1]! };
  }

  /** Keys in `interval` visible at `atRev` with their revisions, at most `limit` (<= 0: all). */
  range(interval: KeyInterval, atRev: number, limit: number): IndexRange {
    const result: IndexRange = { keys: [], mains: [], subs: [], count: 0 };
    if (interval.single) {
      const g = this.map.get(interval.start);
      const position = g === undefined ? -1 : findAt(g, atRev);
      if (position >= 0) {
        result.count = 1;
        result.keys.push(interval.start);
        result.mains.push(g![position]!);
        result.subs.push(g![position + 1]!);
      }
      return result;
    }
    const max = limit > 0 ? limit : Infinity;
    const visit = (key: string, g: Generations): void => {
      const position = findAt(g, atRev);
      if (position < 0) return;
      result.count++;
      if (result.keys.length >= max) return;
      result.keys.push(key);
      result.mains.push(g[position]!);
      result.subs.push(g[position + 1]!);
    };
    this.map.forEachInRange(interval.start, interval.end, visit);
    return result;
  }

  /**
   * Compacts every key at `atRev`; keys with nothing left are removed. Returns the revisions <= atRev
   * still needed (as 17-char revision key strings): the backend deletes all others <= atRev.
   */
  compact(atRev: number): Set<string> {
    const keep = new Set<string>();
    const add = (main: number, sub: number): void => void keep.add(revisionKeyString(main, sub));
    this.map.updateAll((_key, g) => compactGenerations(g, atRev, add));
    return keep;
  }

  /** The revisions <= atRev that compact(atRev) would keep, without changing anything. */
  keep(atRev: number): Set<string> {
    const keep = new Set<string>();
    const add = (main: number, sub: number): void => void keep.add(revisionKeyString(main, sub));
    this.map.forEachInRange('', undefined, (_key, g) => keepGenerations(g, atRev, add));
    return keep;
  }

  /** Visits every key's history in key order (read-only; used by tests and lease restore). */
  forEach(visit: (key: string, g: Readonly<Generations>) => void): void {
    this.map.forEachInRange('', undefined, (key, g) => visit(key, g));
  }
}

/**
 * Builds a KeyIndex from revisions in increasing order (restore): histories collect in a hash map,
 * then keys are sorted once and loaded in bulk, which is several times faster than ordered inserts
 * of keys arriving in random order.
 */
export class KeyIndexBuilder {
  private readonly histories = new Map<string, Generations>();

  /** A put (see KeyIndex.restorePut). */
  put(key: string, main: number, sub: number, createdMain: number, version: number): void {
    const g = this.histories.get(key);
    const next = restorePut(g, { main, sub, createdMain, version });
    if (g === undefined) this.histories.set(key, next);
  }

  /** A tombstone; ignored when the key is unknown or already deleted. */
  tombstone(key: string, main: number, sub: number): void {
    const g = this.histories.get(key);
    if (g !== undefined && liveGeneration(g) !== undefined) tombstoneRevision(g, main, sub);
  }

  /** The finished index. The builder must not be used afterwards. */
  build(): KeyIndex {
    // The default sort compares UTF-16 code units: for binary strings that is byte order.
    const keys = [...this.histories.keys()].sort();
    const values = keys.map((key) => this.histories.get(key)!);
    this.histories.clear();
    return new KeyIndex(SortedStringMap.fromSorted(keys, values));
  }
}
