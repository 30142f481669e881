/**
 * Streaming bbolt writer: produces the same bytes as writeBbolt (writer.ts) from a source read in
 * bounded chunks, without holding the data in memory, yielding to the event loop between chunks.
 *
 * Two passes over the same consistent source (docs/formats/snapshot.md §"Streaming layout"):
 * 1. plan: read every bucket's keys and value sizes once, keeping only each leaf page's first key,
 *    element count and size (and the elements of buckets small enough to be inlined); from that, every pgid is known: leaves
 *    of each bucket in name order, then that bucket's branch levels bottom-up, then the root bucket's
 *    tree. So the meta pages (root pgid, high-water mark) and the total size are known up front.
 * 2. emit: pages in pgid order: meta 0, meta 1, the empty freelist, then each bucket's leaves as they
 *    fill (re-reading the source), its branch pages (from the plan), and finally the root tree.
 */
import { assert } from '../../base/assert.js';
import { compareBytes, DEFAULT_PAGE_SIZE_BYTES, ELEMENT_FLAG_BUCKET, PAGE_HEADER_BYTES } from './format.js';
import {
  branchPageBytes, encodeBranch, encodeHeadPages, encodeLeaf, FIRST_DATA_PGID, leafElementBytes, PAGE_COUNT_MAX,
  PagePacker, pageSpan, type BranchChild, type LeafElement,
} from './pages.js';
import { PageSink, buildBranches, writeTree } from './tree-pages.js';
import {
  bucketValue, checkKeyOrder, checkPageSize, DEFAULT_TXID, isInlineSize, sortBucketNames,
} from './writer.js';

/** A consistent, re-readable view of bucket contents. */
export interface BboltSource {
  /** Names of the top-level buckets. */
  readonly bucketNames: readonly Uint8Array[];
  /**
   * Entries of bucket `name` with key > `after` (undefined: from the first), in key order: at least one
   * while any remain, stopping once `limits.entries` or about `limits.bytes` are returned. The arrays
   * are the caller's.
   */
  read(name: Uint8Array, after: Uint8Array | undefined, limits: ReadLimits): Array<[Uint8Array, Uint8Array]>;
  /** Like read, with each value's size instead of the value (optional; lets planning skip value copies). */
  readSizes?(name: Uint8Array, after: Uint8Array | undefined, limits: ReadLimits): Array<[Uint8Array, number]>;
}

/** Bounds of one read step. */
export interface ReadLimits {
  bytes: number;
  entries: number;
}

export interface StreamWriteOptions {
  pageSizeBytes?: number;
  txid?: bigint;
  /** Bytes of keys and values read from the source per step (the memory bound besides one page). */
  readChunkBytes?: number;
  /** Entries read per step (bounds the time of one step with small values). */
  readChunkEntries?: number;
  /** Awaited between read steps; default: yield to the event loop (setImmediate). */
  pause?: () => Promise<void>;
}

/** A planned database: its total size and its pages, produced lazily in file order. */
export interface BboltStream {
  sizeBytes: number;
  pages: AsyncGenerator<Uint8Array, void, undefined>;
}

/** Default bytes read from the source per step (~5-10 ms of LMDB reads and copies). */
export const STREAM_READ_CHUNK_BYTES = 256 * 1024;
/** Default entries read per step (lmdb-js costs ~20 us per entry). */
export const STREAM_READ_CHUNK_ENTRIES = 256;

interface LeafPlan { firstKey: Uint8Array; count: number; sizeBytes: number; pgid: number }
interface BranchPlan { pgid: number; children: readonly BranchChild[] }
interface BucketPlan {
  name: Uint8Array;
  leaves: LeafPlan[];
  branches: BranchPlan[];
  /** Set while the bucket still fits inline; undefined once too big. */
  inline: LeafElement[] | undefined;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Plans the database of `source` (first pass) and returns its size and a generator of its pages (second
 * pass). The source must not change until the generator finishes. Throws AssertionError on unsorted
 * keys, an empty key, or a source that changed between the passes.
 */
export async function streamBbolt(source: BboltSource, options: StreamWriteOptions = {}): Promise<BboltStream> {
  const pageSizeBytes = checkPageSize(options.pageSizeBytes ?? DEFAULT_PAGE_SIZE_BYTES);
  const limits: ReadLimits = { bytes: options.readChunkBytes ?? STREAM_READ_CHUNK_BYTES,
    entries: options.readChunkEntries ?? STREAM_READ_CHUNK_ENTRIES };
  const pause = options.pause ?? yieldToLoop;
  const buckets: BucketPlan[] = [];
  for (const { name } of sortBucketNames(source.bucketNames.map((n) => ({ name: n })))) {
    buckets.push(await planBucket(source, name, pageSizeBytes, limits, pause));
  }
  let nextPgid = FIRST_DATA_PGID;
  const rootElements = buckets.map((bucket): LeafElement => {
    let value: Uint8Array;
    if (bucket.inline !== undefined) {
      value = bucketValue(0, bucket.inline);
    } else {
      const allocated = allocateBucket(bucket, nextPgid, pageSizeBytes);
      nextPgid = allocated.nextPgid;
      value = bucketValue(allocated.rootPgid);
    }
    return { key: bucket.name, value, flags: ELEMENT_FLAG_BUCKET };
  });
  const rootSink = new PageSink(pageSizeBytes, nextPgid);
  const rootPgid = writeTree(rootSink, rootElements);
  const highWaterPgid = rootSink.nextPgid;
  const head = encodeHeadPages({ pageSizeBytes, rootPgid, highWaterPgid, txid: options.txid ?? DEFAULT_TXID });
  const emit = { source, pageSizeBytes, limits, pause };
  return { sizeBytes: highWaterPgid * pageSizeBytes, pages: emitPages(emit, head, buckets, rootSink.pages) };
}

/** Yields the chunks of one bucket (read by `read`), pausing between reads. */
async function* chunksOf<T>(read: (after: Uint8Array | undefined) => Array<[Uint8Array, T]>,
  pause: () => Promise<void>): AsyncGenerator<Array<[Uint8Array, T]>> {
  let after: Uint8Array | undefined;
  for (;;) {
    const chunk = read(after);
    if (chunk.length === 0) return;
    yield chunk;
    after = chunk.at(-1)![0];
    await pause();
  }
}

/** First pass over one bucket: leaf page boundaries (writeTree's packing rule) and inline elements. */
async function planBucket(source: BboltSource, name: Uint8Array, pageSizeBytes: number, limits: ReadLimits,
  pause: () => Promise<void>): Promise<BucketPlan> {
  const plan: BucketPlan = { name, leaves: [], branches: [], inline: undefined };
  const packer = new PagePacker(pageSizeBytes);
  let totalBytes = PAGE_HEADER_BYTES;
  let previous: Uint8Array | undefined;
  const readSizes = (after: Uint8Array | undefined): Array<[Uint8Array, number]> => source.readSizes !== undefined
    ? source.readSizes(name, after, limits)
    : source.read(name, after, limits).map(([key, value]) => [key, value.length]);
  for await (const chunk of chunksOf(readSizes, pause)) {
    for (const [key, valueBytes] of chunk) {
      checkKeyOrder(previous, key);
      previous = key;
      const bytes = leafElementBytes(key.length, valueBytes);
      if (packer.add(bytes) || plan.leaves.length === 0) {
        plan.leaves.push({ firstKey: key, count: 0, sizeBytes: PAGE_HEADER_BYTES, pgid: 0 });
      }
      const leaf = plan.leaves.at(-1)!;
      leaf.count++;
      leaf.sizeBytes += bytes;
      totalBytes += bytes;
    }
  }
  if (isInlineSize(totalBytes, pageSizeBytes)) {
    // At most a quarter page: read the values now (the source is consistent, so they are the planned ones).
    const entries = source.read(name, undefined, { bytes: pageSizeBytes, entries: PAGE_COUNT_MAX });
    const planned = plan.leaves[0]?.count ?? 0;
    assert(entries.length === planned, 'snapshot source changed during planning');
    plan.inline = entries.map(([key, value]) => ({ key, value, flags: 0 }));
  }
  return plan;
}

/** Gives a non-inline bucket's leaves, then its branch pages, pgids from `firstPgid`. */
function allocateBucket(bucket: BucketPlan, firstPgid: number, pageSizeBytes: number):
  { rootPgid: number; nextPgid: number } {
  let nextPgid = firstPgid;
  const children = bucket.leaves.map((leaf): BranchChild => {
    leaf.pgid = nextPgid;
    nextPgid += pageSpan(leaf.sizeBytes, pageSizeBytes);
    return { key: leaf.firstKey, pgid: leaf.pgid };
  });
  const rootPgid = buildBranches(children, pageSizeBytes, (group) => {
    const pgid = nextPgid;
    nextPgid += pageSpan(branchPageBytes(group), pageSizeBytes);
    bucket.branches.push({ pgid, children: group });
    return pgid;
  });
  return { rootPgid, nextPgid };
}

interface EmitContext {
  source: BboltSource;
  pageSizeBytes: number;
  limits: ReadLimits;
  pause: () => Promise<void>;
}

/** Second pass: every page in pgid order. */
async function* emitPages(context: EmitContext, head: Uint8Array, buckets: readonly BucketPlan[],
  rootPages: readonly Uint8Array[]): AsyncGenerator<Uint8Array, void, undefined> {
  yield head;
  for (const bucket of buckets) {
    if (bucket.inline !== undefined) continue;
    yield* emitLeaves(context, bucket);
    for (const { pgid, children } of bucket.branches) {
      yield encodedPage(context.pageSizeBytes, pgid, branchPageBytes(children), encodeBranch, children);
    }
  }
  yield* rootPages;
}

async function* emitLeaves(context: EmitContext, bucket: BucketPlan): AsyncGenerator<Uint8Array, void, undefined> {
  let leafIndex = 0;
  let group: LeafElement[] = [];
  const read = (after: Uint8Array | undefined): Array<[Uint8Array, Uint8Array]> =>
    context.source.read(bucket.name, after, context.limits);
  for await (const chunk of chunksOf(read, context.pause)) {
    for (const [key, value] of chunk) {
      const leaf = bucket.leaves[leafIndex];
      assert(leaf !== undefined, 'snapshot source grew between its two passes');
      assert(group.length > 0 || compareBytes(leaf.firstKey, key) === 0, 'snapshot source changed between its two passes');
      group.push({ key, value, flags: 0 });
      if (group.length === leaf.count) {
        yield encodedPage(context.pageSizeBytes, leaf.pgid, leaf.sizeBytes, encodeLeaf, group);
        group = [];
        leafIndex++;
      }
    }
  }
  assert(leafIndex === bucket.leaves.length && group.length === 0, 'snapshot source shrank between its two passes');
}

function encodedPage<T>(pageSizeBytes: number, pgid: number, sizeBytes: number,
  encode: (out: Uint8Array, pgid: number, overflow: number, items: T) => void, items: T): Uint8Array {
  const span = pageSpan(sizeBytes, pageSizeBytes);
  const bytes = new Uint8Array(span * pageSizeBytes);
  encode(bytes, pgid, span - 1, items);
  return bytes;
}
