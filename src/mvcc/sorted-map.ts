import { assert } from '../base/assert.js';

/** Entries per chunk before it splits in two: a few hundred keeps splices cheap and chunks few. */
export const CHUNK_ENTRIES_MAX = 512;
/** Fill of chunks built in bulk: leaves room for inserts before the first splits. */
const BULK_CHUNK_ENTRIES = (CHUNK_ENTRIES_MAX * 3) / 4;

interface Chunk<V> {
  keys: string[];
  values: V[];
}

/**
 * An ordered map from binary (latin1) strings to values, stored as a sorted list of sorted chunks.
 * Lookup and insert cost O(log n + CHUNK_ENTRIES_MAX); iteration from any key is in order.
 * Invariant: chunks are non-empty (except a single empty chunk when the map is empty), every key of
 * chunk i is below every key of chunk i+1, and keys inside a chunk are strictly increasing.
 */
export class SortedStringMap<V> {
  private chunks: Chunk<V>[] = [{ keys: [], values: [] }];
  private count = 0;

  /**
   * Builds a map from keys in strictly increasing order (O(n); used by restore). Throws
   * AssertionError if the keys are not strictly increasing or the arrays differ in length.
   */
  static fromSorted<V>(keys: readonly string[], values: readonly V[]): SortedStringMap<V> {
    assert(keys.length === values.length, 'fromSorted: keys and values differ in length');
    const map = new SortedStringMap<V>();
    if (keys.length === 0) return map;
    const perChunk = BULK_CHUNK_ENTRIES;
    map.chunks = [];
    for (let start = 0; start < keys.length; start += perChunk) {
      const chunkKeys = keys.slice(start, start + perChunk);
      for (let i = 1; i < chunkKeys.length; i++) assert(chunkKeys[i - 1]! < chunkKeys[i]!, 'fromSorted: keys out of order');
      if (start > 0) assert(keys[start - 1]! < chunkKeys[0]!, 'fromSorted: keys out of order');
      map.chunks.push({ keys: chunkKeys, values: values.slice(start, start + perChunk) });
    }
    map.count = keys.length;
    return map;
  }

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    const chunk = this.chunks[this.chunkFor(key)]!;
    const at = lowerBound(chunk.keys, key);
    return chunk.keys[at] === key ? chunk.values[at] : undefined;
  }

  /** Inserts or replaces. */
  set(key: string, value: V): void {
    const index = this.chunkFor(key);
    const chunk = this.chunks[index]!;
    const at = lowerBound(chunk.keys, key);
    if (chunk.keys[at] === key) {
      chunk.values[at] = value;
      return;
    }
    chunk.keys.splice(at, 0, key);
    chunk.values.splice(at, 0, value);
    this.count++;
    if (chunk.keys.length > CHUNK_ENTRIES_MAX) this.split(index);
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: string): boolean {
    const index = this.chunkFor(key);
    const chunk = this.chunks[index]!;
    const at = lowerBound(chunk.keys, key);
    if (chunk.keys[at] !== key) return false;
    chunk.keys.splice(at, 1);
    chunk.values.splice(at, 1);
    this.count--;
    if (chunk.keys.length === 0 && this.chunks.length > 1) this.chunks.splice(index, 1);
    return true;
  }

  /**
   * Visits entries with start <= key < end (`end` undefined: no bound) in order until `visit`
   * returns false. The map must not be modified during the walk.
   */
  forEachInRange(start: string, end: string | undefined, visit: (key: string, value: V) => boolean | void): void {
    let index = this.chunkFor(start);
    let at = lowerBound(this.chunks[index]!.keys, start);
    for (; index < this.chunks.length; index++, at = 0) {
      const { keys, values } = this.chunks[index]!;
      for (; at < keys.length; at++) {
        const key = keys[at]!;
        if (end !== undefined && key >= end) return;
        if (visit(key, values[at]!) === false) return;
      }
    }
  }

  /**
   * Replaces or removes every value: `update` returns the new value, or undefined to delete the
   * entry. Rebuilds chunks in one pass (used by compaction).
   */
  updateAll(update: (key: string, value: V) => V | undefined): void {
    const next: Chunk<V>[] = [];
    let current: Chunk<V> = { keys: [], values: [] };
    let count = 0;
    for (const chunk of this.chunks) {
      for (let i = 0; i < chunk.keys.length; i++) {
        const value = update(chunk.keys[i]!, chunk.values[i]!);
        if (value === undefined) continue;
        current.keys.push(chunk.keys[i]!);
        current.values.push(value);
        count++;
        if (current.keys.length === CHUNK_ENTRIES_MAX / 2) {
          next.push(current);
          current = { keys: [], values: [] };
        }
      }
    }
    if (current.keys.length > 0 || next.length === 0) next.push(current);
    this.chunks = next;
    this.count = count;
  }

  /** Index of the chunk that holds (or would hold) `key`. */
  private chunkFor(key: string): number {
    let low = 0;
    let high = this.chunks.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.chunks[mid]!.keys[0]! <= key) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  private split(index: number): void {
    const chunk = this.chunks[index]!;
    const half = chunk.keys.length >>> 1;
    const right: Chunk<V> = { keys: chunk.keys.splice(half), values: chunk.values.splice(half) };
    assert(chunk.keys.length > 0 && right.keys.length > 0, 'split produced an empty chunk');
    this.chunks.splice(index + 1, 0, right);
  }
}

/** First index in sorted `keys` whose key is >= `target`. */
function lowerBound(keys: readonly string[], target: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (keys[mid]! < target) low = mid + 1;
    else high = mid;
  }
  return low;
}
