/**
 * Writes a compact, fresh bbolt file from sorted bucket contents held in memory: meta pages 0 and 1, an
 * empty freelist page 2, then the B+trees (leaves packed full, branches above them), single-leaf buckets
 * of at most a quarter page inlined as bbolt does. Every page is referenced exactly once, so bbolt's
 * `tx.Check()` (run by `etcdctl snapshot status`) accepts the file. stream-writer.ts produces the same
 * bytes without holding the data in memory.
 */
import { assert } from '../../base/assert.js';
import { BUCKET_HEADER_BYTES, compareBytes, DEFAULT_PAGE_SIZE_BYTES, ELEMENT_FLAG_BUCKET, INLINE_PAGE_RATIO } from './format.js';
import { encodeHeadPages, encodeLeaf, FIRST_DATA_PGID, leafPageBytes, type LeafElement } from './pages.js';
import { PageSink, writeTree } from './tree-pages.js';

/** One top-level bucket: its name and its key/value pairs sorted by key (byte order), keys unique. */
export interface BboltBucket {
  name: Uint8Array;
  entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>;
}

export interface BboltWriteOptions {
  pageSizeBytes?: number;
  /** Transaction id of meta page 0 (meta page 1 gets one less, as bbolt's Tx.WriteTo does). */
  txid?: bigint;
}

/** Meta page 0's txid when none is given. */
export const DEFAULT_TXID = 2n;

/** Checks a page size option; returns it. Throws AssertionError unless a power of 2 >= 1024. */
export function checkPageSize(pageSizeBytes: number): number {
  assert(pageSizeBytes >= 1024 && (pageSizeBytes & (pageSizeBytes - 1)) === 0, 'page size must be a power of 2');
  return pageSizeBytes;
}

/**
 * The leaf value of a bucket whose tree root is `rootPgid`, or, when `inline` is given, of an inline
 * bucket holding those elements (root 0, its leaf page right after the header). Sequence is 0.
 */
export function bucketValue(rootPgid: number, inline?: readonly LeafElement[]): Uint8Array {
  if (inline !== undefined) {
    const value = new Uint8Array(BUCKET_HEADER_BYTES + leafPageBytes(inline));
    encodeLeaf(value.subarray(BUCKET_HEADER_BYTES), 0, 0, inline);
    return value;
  }
  const value = new Uint8Array(BUCKET_HEADER_BYTES);
  new DataView(value.buffer).setBigUint64(0, BigInt(rootPgid), true);
  return value;
}

/** Whether a bucket whose single leaf would take `leafBytes` is stored inline (bbolt's rule). */
export function isInlineSize(leafBytes: number, pageSizeBytes: number): boolean {
  return leafBytes <= pageSizeBytes / INLINE_PAGE_RATIO;
}

/** Sorts buckets by name and checks names are non-empty and unique. Throws AssertionError. */
export function sortBucketNames<T extends { name: Uint8Array }>(buckets: readonly T[]): T[] {
  const sorted = [...buckets].sort((a, b) => compareBytes(a.name, b.name));
  sorted.forEach((bucket, i) => {
    assert(bucket.name.length > 0, 'bucket name must not be empty');
    assert(i === 0 || compareBytes(sorted[i - 1]!.name, bucket.name) < 0, 'bucket names must be unique');
  });
  return sorted;
}

/** Asserts `key` is non-empty and sorts after `previous`. */
export function checkKeyOrder(previous: Uint8Array | undefined, key: Uint8Array): void {
  assert(key.length > 0, 'bbolt keys must not be empty');
  assert(previous === undefined || compareBytes(previous, key) < 0, 'bucket keys must be sorted and unique');
}

/**
 * Builds the bytes of a bbolt database holding `buckets` (sorted by name here). Throws AssertionError
 * on unsorted or duplicate keys, an empty key, or a bucket name given twice.
 */
export function writeBbolt(buckets: readonly BboltBucket[], options: BboltWriteOptions = {}): Uint8Array {
  const pageSizeBytes = checkPageSize(options.pageSizeBytes ?? DEFAULT_PAGE_SIZE_BYTES);
  const sink = new PageSink(pageSizeBytes, FIRST_DATA_PGID);
  const rootElements: LeafElement[] = sortBucketNames(buckets).map((bucket) => {
    const elements: LeafElement[] = bucket.entries.map(([key, value], i) => {
      checkKeyOrder(bucket.entries[i - 1]?.[0], key);
      return { key, value, flags: 0 };
    });
    const inline = isInlineSize(leafPageBytes(elements), pageSizeBytes);
    const value = inline ? bucketValue(0, elements) : bucketValue(writeTree(sink, elements));
    return { key: bucket.name, value, flags: ELEMENT_FLAG_BUCKET };
  });
  const rootPgid = writeTree(sink, rootElements);
  const out = new Uint8Array(sink.nextPgid * pageSizeBytes);
  const txid = options.txid ?? DEFAULT_TXID;
  out.set(encodeHeadPages({ pageSizeBytes, rootPgid, highWaterPgid: sink.nextPgid, txid }));
  let offset = FIRST_DATA_PGID * pageSizeBytes;
  for (const page of sink.pages) {
    out.set(page, offset);
    offset += page.byteLength;
  }
  return out;
}
