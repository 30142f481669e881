/**
 * Writes a compact, fresh bbolt file from sorted bucket contents: meta pages 0 and 1, an empty freelist
 * page 2, then the B+trees (leaves packed full, branches above them), single-leaf buckets of at most a
 * quarter page inlined as bbolt does. Every page is referenced exactly once, so bbolt's `tx.Check()`
 * (run by `etcdctl snapshot status`) accepts the file.
 */
import { assert } from '../../base/assert.js';
import {
  BUCKET_HEADER_BYTES, compareBytes, DEFAULT_PAGE_SIZE_BYTES, ELEMENT_BYTES, ELEMENT_FLAG_BUCKET, fnv1a64,
  INLINE_PAGE_RATIO, MAGIC, META_CHECKSUMMED_BYTES, PAGE_FLAG_BRANCH, PAGE_FLAG_FREELIST, PAGE_FLAG_LEAF,
  PAGE_FLAG_META, PAGE_HEADER_BYTES, VERSION,
} from './format.js';

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

interface Element { key: Uint8Array; value: Uint8Array; flags: number }

const FIRST_DATA_PGID = 3;
const FREELIST_PGID = 2;
const DEFAULT_TXID = 2n;
const PAGE_COUNT_MAX = 0xfffe;

/**
 * Builds the bytes of a bbolt database holding `buckets` (sorted by name here). Throws AssertionError
 * on unsorted or duplicate keys, an empty key, or a bucket name given twice.
 */
export function writeBbolt(buckets: readonly BboltBucket[], options: BboltWriteOptions = {}): Uint8Array {
  const pageSizeBytes = options.pageSizeBytes ?? DEFAULT_PAGE_SIZE_BYTES;
  assert(pageSizeBytes >= 1024 && (pageSizeBytes & (pageSizeBytes - 1)) === 0, 'page size must be a power of 2');
  const pages = new PageAllocator(pageSizeBytes);
  const sorted = [...buckets].sort((a, b) => compareBytes(a.name, b.name));
  const rootElements: Element[] = sorted.map((bucket, i) => {
    assert(i === 0 || compareBytes(sorted[i - 1]!.name, bucket.name) < 0, 'bucket names must be unique');
    assert(bucket.name.length > 0, 'bucket name must not be empty');
    return { key: bucket.name, value: bucketValue(bucket, pages), flags: ELEMENT_FLAG_BUCKET };
  });
  const rootPgid = pages.tree(rootElements);
  return pages.finish(rootPgid, options.txid ?? DEFAULT_TXID);
}

/** The leaf value of a bucket: its header (root pgid, sequence 0), plus the inline page when small. */
function bucketValue(bucket: BboltBucket, pages: PageAllocator): Uint8Array {
  const elements: Element[] = bucket.entries.map(([key, value], i) => {
    assert(key.length > 0, 'bbolt keys must not be empty');
    assert(i === 0 || compareBytes(bucket.entries[i - 1]![0], key) < 0, 'bucket keys must be sorted and unique');
    return { key, value, flags: 0 };
  });
  const header = new Uint8Array(BUCKET_HEADER_BYTES);
  const leafBytes = leafSize(elements);
  if (leafBytes <= pages.pageSizeBytes / INLINE_PAGE_RATIO) {
    const value = new Uint8Array(BUCKET_HEADER_BYTES + leafBytes);
    encodeLeaf(value.subarray(BUCKET_HEADER_BYTES), 0, 0, elements);
    return value;
  }
  new DataView(header.buffer).setBigUint64(0, BigInt(pages.tree(elements)), true);
  return header;
}

function elementSize(e: Element): number {
  return ELEMENT_BYTES + e.key.length + e.value.length;
}

function leafSize(elements: readonly Element[]): number {
  return elements.reduce((sum, e) => sum + elementSize(e), PAGE_HEADER_BYTES);
}

function writeHeader(view: DataView, pgid: number, flags: number, count: number, overflow: number): void {
  view.setBigUint64(0, BigInt(pgid), true);
  view.setUint16(8, flags, true);
  view.setUint16(10, count, true);
  view.setUint32(12, overflow, true);
}

/** Encodes a leaf page (header + elements + data) into `out` (sized by the caller). */
function encodeLeaf(out: Uint8Array, pgid: number, overflow: number, elements: readonly Element[]): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  writeHeader(view, pgid, PAGE_FLAG_LEAF, elements.length, overflow);
  let data = PAGE_HEADER_BYTES + ELEMENT_BYTES * elements.length;
  elements.forEach((e, i) => {
    const at = PAGE_HEADER_BYTES + ELEMENT_BYTES * i;
    view.setUint32(at, e.flags, true);
    view.setUint32(at + 4, data - at, true);
    view.setUint32(at + 8, e.key.length, true);
    view.setUint32(at + 12, e.value.length, true);
    out.set(e.key, data);
    out.set(e.value, data + e.key.length);
    data += e.key.length + e.value.length;
  });
}

class PageAllocator {
  private readonly pages: Uint8Array[] = [];
  private nextPgid = FIRST_DATA_PGID;

  constructor(readonly pageSizeBytes: number) {}

  /** Writes the B+tree of `elements` (sorted) and returns its root pgid. */
  tree(elements: readonly Element[]): number {
    let level = this.packLevel(elements, elementSize).map((group) => this.leaf(group));
    while (level.length > 1) {
      const branchSize = (node: { key: Uint8Array }): number => ELEMENT_BYTES + node.key.length;
      level = this.packLevel(level, branchSize).map((group) => this.branch(group));
    }
    return level[0]!.pgid;
  }

  /** Splits items into page-sized groups: a page gets at least one item and is never over-full otherwise. */
  private packLevel<T>(items: readonly T[], size: (item: T) => number): T[][] {
    const groups: T[][] = [[]];
    let used = PAGE_HEADER_BYTES;
    for (const item of items) {
      const bytes = size(item);
      const current = groups.at(-1)!;
      if (current.length > 0 && (used + bytes > this.pageSizeBytes || current.length >= PAGE_COUNT_MAX)) {
        groups.push([item]);
        used = PAGE_HEADER_BYTES + bytes;
      } else {
        current.push(item);
        used += bytes;
      }
    }
    return groups;
  }

  private allocate(sizeBytes: number): { pgid: number; bytes: Uint8Array } {
    const count = Math.max(1, Math.ceil(sizeBytes / this.pageSizeBytes));
    const bytes = new Uint8Array(count * this.pageSizeBytes);
    const pgid = this.nextPgid;
    this.nextPgid += count;
    this.pages.push(bytes);
    return { pgid, bytes };
  }

  private leaf(elements: readonly Element[]): { key: Uint8Array; pgid: number } {
    const { pgid, bytes } = this.allocate(leafSize(elements));
    encodeLeaf(bytes, pgid, bytes.byteLength / this.pageSizeBytes - 1, elements);
    return { key: elements[0]?.key ?? new Uint8Array(0), pgid };
  }

  private branch(children: ReadonlyArray<{ key: Uint8Array; pgid: number }>): { key: Uint8Array; pgid: number } {
    const size = children.reduce((sum, c) => sum + ELEMENT_BYTES + c.key.length, PAGE_HEADER_BYTES);
    const { pgid, bytes } = this.allocate(size);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    writeHeader(view, pgid, PAGE_FLAG_BRANCH, children.length, bytes.byteLength / this.pageSizeBytes - 1);
    let data = PAGE_HEADER_BYTES + ELEMENT_BYTES * children.length;
    children.forEach((child, i) => {
      const at = PAGE_HEADER_BYTES + ELEMENT_BYTES * i;
      view.setUint32(at, data - at, true);
      view.setUint32(at + 4, child.key.length, true);
      view.setBigUint64(at + 8, BigInt(child.pgid), true);
      bytes.set(child.key, data);
      data += child.key.length;
    });
    return { key: children[0]!.key, pgid };
  }

  /** Lays out meta pages, the empty freelist and every tree page into one buffer. */
  finish(rootPgid: number, txid: bigint): Uint8Array {
    const size = this.pageSizeBytes;
    const out = new Uint8Array(this.nextPgid * size);
    const freelist = new DataView(out.buffer, FREELIST_PGID * size, PAGE_HEADER_BYTES);
    writeHeader(freelist, FREELIST_PGID, PAGE_FLAG_FREELIST, 0, 0);
    let offset = FIRST_DATA_PGID * size;
    for (const page of this.pages) {
      out.set(page, offset);
      offset += page.byteLength;
    }
    this.meta(out, 0, rootPgid, txid);
    this.meta(out, 1, rootPgid, txid - 1n);
    return out;
  }

  private meta(out: Uint8Array, pgid: number, rootPgid: number, txid: bigint): void {
    const base = pgid * this.pageSizeBytes;
    const view = new DataView(out.buffer, base, this.pageSizeBytes);
    writeHeader(view, pgid, PAGE_FLAG_META, 0, 0);
    const m = PAGE_HEADER_BYTES;
    view.setUint32(m, MAGIC, true);
    view.setUint32(m + 4, VERSION, true);
    view.setUint32(m + 8, this.pageSizeBytes, true);
    view.setUint32(m + 12, 0, true);
    view.setBigUint64(m + 16, BigInt(rootPgid), true);
    view.setBigUint64(m + 24, 0n, true);
    view.setBigUint64(m + 32, BigInt(FREELIST_PGID), true);
    view.setBigUint64(m + 40, BigInt(this.nextPgid), true);
    view.setBigUint64(m + 48, txid, true);
    const checksum = fnv1a64(out.subarray(base + m, base + m + META_CHECKSUMMED_BYTES));
    view.setBigUint64(m + META_CHECKSUMMED_BYTES, checksum, true);
  }
}
