import { assert } from '../base/assert.js';
import { BUCKET_NAMES, type BucketName } from './buckets.js';

/** A pending value: bytes to write, or DELETED to remove the key at commit. */
export const DELETED = null;
export type PendingValue = Uint8Array | typeof DELETED;

/** One bucket's uncommitted writes, keyed by binary string, with a lazily sorted key list. */
class PendingBucket {
  readonly writes = new Map<string, PendingValue>();
  private sortedKeys: string[] | undefined = undefined;

  set(key: string, value: PendingValue): void {
    const sorted = this.sortedKeys;
    if (sorted !== undefined && !this.writes.has(key)) {
      // Appends in key order (new revisions in `key`) keep the sorted list valid at O(1).
      if (sorted.length === 0 || key > sorted[sorted.length - 1]!) sorted.push(key);
      else this.sortedKeys = undefined;
    }
    this.writes.set(key, value);
  }

  /** Keys in [start, end) in byte order; `end` undefined means no upper bound. */
  keysInRange(start: string, end: string | undefined): string[] {
    if (this.writes.size === 0) return [];
    // The default sort compares UTF-16 code units: for binary strings that is byte order.
    if (this.sortedKeys === undefined) this.sortedKeys = [...this.writes.keys()].sort();
    const keys = this.sortedKeys;
    let low = lowerBound(keys, start);
    const result: string[] = [];
    for (; low < keys.length; low++) {
      const key = keys[low]!;
      if (end !== undefined && key >= end) break;
      result.push(key);
    }
    return result;
  }
}

/** First index in sorted `keys` whose key is >= `target`. */
export function lowerBound(keys: readonly string[], target: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (keys[mid]! < target) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * The writes of one backend batch (all buckets). Later writes to the same key replace earlier ones.
 * Ownership: once handed to a commit the batch is frozen (asserted) and only read.
 */
export class PendingBatch {
  private readonly buckets = new Map<BucketName, PendingBucket>();
  private frozen = false;
  /** Number of put/delete calls recorded (etcd's batch counts operations, not distinct keys). */
  opCount = 0;

  constructor() {
    for (const name of BUCKET_NAMES) this.buckets.set(name, new PendingBucket());
  }

  /** Records a write; throws AssertionError if the batch is frozen. */
  set(bucket: BucketName, key: string, value: PendingValue): void {
    assert(!this.frozen, 'write into a frozen batch');
    this.bucket(bucket).set(key, value);
    this.opCount++;
  }

  /** True when this batch has no write for `bucket`. */
  isEmpty(bucket: BucketName): boolean {
    return this.bucket(bucket).writes.size === 0;
  }

  /** The pending value: bytes, DELETED, or undefined when this batch has no write for the key. */
  get(bucket: BucketName, key: string): PendingValue | undefined {
    return this.bucket(bucket).writes.get(key);
  }

  /** Keys with pending writes in [start, end), sorted. */
  keysInRange(bucket: BucketName, start: string, end: string | undefined): string[] {
    return this.bucket(bucket).keysInRange(start, end);
  }

  /** Marks the batch read-only (it is being committed). */
  freeze(): void {
    this.frozen = true;
  }

  /** Calls `visit` for every write in every bucket (commit order within a bucket is irrelevant). */
  forEach(visit: (bucket: BucketName, key: string, value: PendingValue) => void): void {
    for (const [name, bucket] of this.buckets) {
      for (const [key, value] of bucket.writes) visit(name, key, value);
    }
  }

  private bucket(name: BucketName): PendingBucket {
    const bucket = this.buckets.get(name);
    assert(bucket !== undefined, `unknown bucket ${name}`);
    return bucket;
  }
}

