/**
 * Encoders for single bbolt pages (leaf, branch, meta, empty freelist) and the packing rule that splits
 * a sorted run of elements into pages. Shared by the in-memory writer (writer.ts) and the streaming
 * writer (stream-writer.ts), so both lay out a database identically.
 */
import {
  ELEMENT_BYTES, fnv1a64, MAGIC, META_CHECKSUMMED_BYTES, PAGE_FLAG_BRANCH, PAGE_FLAG_FREELIST, PAGE_FLAG_LEAF,
  PAGE_FLAG_META, PAGE_HEADER_BYTES, VERSION,
} from './format.js';

/** A leaf element: key, value and flags (ELEMENT_FLAG_BUCKET for a bucket). */
export interface LeafElement { key: Uint8Array; value: Uint8Array; flags: number }

/** A branch element: the first key of a child page and its pgid. */
export interface BranchChild { key: Uint8Array; pgid: number }

/** The most elements one page may hold (its u16 count; 0xFFFF is reserved). */
export const PAGE_COUNT_MAX = 0xfffe;
/** Pgid of the (always empty) freelist page the writers emit. */
export const FREELIST_PGID = 2;
/** First pgid after the two meta pages and the freelist. */
export const FIRST_DATA_PGID = 3;

/** Bytes a leaf element takes in its page. */
export function leafElementBytes(keyBytes: number, valueBytes: number): number {
  return ELEMENT_BYTES + keyBytes + valueBytes;
}

/** Bytes a branch element takes in its page. */
export function branchElementBytes(keyBytes: number): number {
  return ELEMENT_BYTES + keyBytes;
}

/** Number of pages (1 + overflow) a page body of `sizeBytes` needs. */
export function pageSpan(sizeBytes: number, pageSizeBytes: number): number {
  return Math.max(1, Math.ceil(sizeBytes / pageSizeBytes));
}

/**
 * The packing rule of both writers: elements go into the current page until the next one would overflow
 * it (or it holds PAGE_COUNT_MAX); a page always takes at least one element. Feed element sizes in
 * order; `add` says whether the element starts a new page.
 */
export class PagePacker {
  private usedBytes = PAGE_HEADER_BYTES;
  private count = 0;

  constructor(private readonly pageSizeBytes: number) {}

  /** Accounts one element of `bytes`; true when it opens a new page (always false for the very first). */
  add(bytes: number): boolean {
    const opensPage = this.count > 0 && (this.usedBytes + bytes > this.pageSizeBytes || this.count >= PAGE_COUNT_MAX);
    if (opensPage) {
      this.usedBytes = PAGE_HEADER_BYTES;
      this.count = 0;
    }
    this.usedBytes += bytes;
    this.count++;
    return opensPage;
  }
}

/** Splits `items` into page groups with the PagePacker rule. */
export function packLevel<T>(items: readonly T[], sizeBytes: (item: T) => number, pageSizeBytes: number): T[][] {
  const packer = new PagePacker(pageSizeBytes);
  const groups: T[][] = [];
  for (const item of items) {
    if (packer.add(sizeBytes(item)) || groups.length === 0) groups.push([]);
    groups.at(-1)!.push(item);
  }
  return groups.length === 0 ? [[]] : groups;
}

function writeHeader(view: DataView, pgid: number, flags: number, count: number, overflow: number): void {
  view.setBigUint64(0, BigInt(pgid), true);
  view.setUint16(8, flags, true);
  view.setUint16(10, count, true);
  view.setUint32(12, overflow, true);
}

/** Bytes of a leaf page body holding `elements` (header included). */
export function leafPageBytes(elements: readonly LeafElement[]): number {
  return elements.reduce((sum, e) => sum + leafElementBytes(e.key.length, e.value.length), PAGE_HEADER_BYTES);
}

/** Bytes of a branch page body holding `children` (header included). */
export function branchPageBytes(children: readonly BranchChild[]): number {
  return children.reduce((sum, c) => sum + branchElementBytes(c.key.length), PAGE_HEADER_BYTES);
}

/** Encodes a leaf page (header + elements + data) into `out` (sized by the caller, zero-filled). */
export function encodeLeaf(out: Uint8Array, pgid: number, overflow: number, elements: readonly LeafElement[]): void {
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

/** Encodes a branch page into `out` (sized by the caller, zero-filled). */
export function encodeBranch(out: Uint8Array, pgid: number, overflow: number, children: readonly BranchChild[]): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  writeHeader(view, pgid, PAGE_FLAG_BRANCH, children.length, overflow);
  let data = PAGE_HEADER_BYTES + ELEMENT_BYTES * children.length;
  children.forEach((child, i) => {
    const at = PAGE_HEADER_BYTES + ELEMENT_BYTES * i;
    view.setUint32(at, data - at, true);
    view.setUint32(at + 4, child.key.length, true);
    view.setBigUint64(at + 8, BigInt(child.pgid), true);
    out.set(child.key, data);
    data += child.key.length;
  });
}

/** What the two meta pages record. */
export interface MetaFields { pageSizeBytes: number; rootPgid: number; highWaterPgid: number; txid: bigint }

/**
 * The first three pages of a fresh file: meta 0 (txid), meta 1 (txid - 1, as bbolt's Tx.WriteTo
 * writes them) and the empty freelist page.
 */
export function encodeHeadPages(fields: MetaFields): Uint8Array {
  const size = fields.pageSizeBytes;
  const out = new Uint8Array(FIRST_DATA_PGID * size);
  encodeMeta(out.subarray(0, size), 0, fields, fields.txid);
  encodeMeta(out.subarray(size, 2 * size), 1, fields, fields.txid - 1n);
  const freelist = out.subarray(FREELIST_PGID * size);
  const view = new DataView(freelist.buffer, freelist.byteOffset, PAGE_HEADER_BYTES);
  writeHeader(view, FREELIST_PGID, PAGE_FLAG_FREELIST, 0, 0);
  return out;
}

function encodeMeta(page: Uint8Array, pgid: number, fields: MetaFields, txid: bigint): void {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  writeHeader(view, pgid, PAGE_FLAG_META, 0, 0);
  const m = PAGE_HEADER_BYTES;
  view.setUint32(m, MAGIC, true);
  view.setUint32(m + 4, VERSION, true);
  view.setUint32(m + 8, fields.pageSizeBytes, true);
  view.setUint32(m + 12, 0, true);
  view.setBigUint64(m + 16, BigInt(fields.rootPgid), true);
  view.setBigUint64(m + 24, 0n, true);
  view.setBigUint64(m + 32, BigInt(FREELIST_PGID), true);
  view.setBigUint64(m + 40, BigInt(fields.highWaterPgid), true);
  view.setBigUint64(m + 48, txid, true);
  view.setBigUint64(m + META_CHECKSUMMED_BYTES, fnv1a64(page.subarray(m, m + META_CHECKSUMMED_BYTES)), true);
}
