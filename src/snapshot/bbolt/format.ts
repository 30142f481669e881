/**
 * Facts of the bbolt on-disk format (go.etcd.io/bbolt, the file format etcd's backend and snapshots use),
 * little-endian as written on amd64/arm64:
 *
 * - Every page starts with a 16-byte header: pgid u64, flags u16, count u16, overflow u32 (extra pages
 *   that follow this one and belong to it).
 * - Pages 0 and 1 are meta pages; the valid one with the higher txid is current.
 * - Branch elements (16 bytes): pos u32, ksize u32, child pgid u64. Leaf elements (16 bytes): flags u32,
 *   pos u32, ksize u32, vsize u32. `pos` is relative to the element's own offset; keys (and values) follow
 *   the element array.
 * - A bucket is a leaf value with flag 0x01: root pgid u64 + sequence u64, and, when root is 0, an inline
 *   page (header + leaf elements) right after it.
 * - The freelist page lists free pgids (u64 each); a count of 0xFFFF means the real count is the first u64.
 */

export const PAGE_HEADER_BYTES = 16;
export const ELEMENT_BYTES = 16;
export const BUCKET_HEADER_BYTES = 16;
export const META_BYTES = 64;
/** Bytes of the meta struct covered by its checksum (everything before the checksum field). */
export const META_CHECKSUMMED_BYTES = 56;

export const MAGIC = 0xed0cdaed;
export const VERSION = 2;
export const DEFAULT_PAGE_SIZE_BYTES = 4096;

export const PAGE_FLAG_BRANCH = 0x01;
export const PAGE_FLAG_LEAF = 0x02;
export const PAGE_FLAG_META = 0x04;
export const PAGE_FLAG_FREELIST = 0x10;

/** Leaf element flag marking a nested bucket. */
export const ELEMENT_FLAG_BUCKET = 0x01;

/** A page count of this value means the real count is stored in the first u64 of the page body. */
export const COUNT_IN_BODY = 0xffff;
/** Meta freelist pgid when the freelist is not persisted. */
export const PGID_NO_FREELIST = 0xffffffffffffffffn;

/** bbolt inlines a single-leaf bucket whose page would take at most this fraction of a page. */
export const INLINE_PAGE_RATIO = 4;

/** The meta struct that follows the page header of pages 0 and 1. */
export interface BboltMeta {
  pageSizeBytes: number;
  flags: number;
  rootPgid: number;
  rootSequence: bigint;
  /** PGID_NO_FREELIST (as -1) when the freelist is not persisted. */
  freelistPgid: number;
  /** High-water mark: number of pages the file uses. */
  highWaterPgid: number;
  txid: bigint;
}

/** FNV-1a 64-bit hash (bbolt's meta checksum). */
export function fnv1a64(bytes: Uint8Array): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of bytes) {
    hash ^= BigInt(byte);
    hash = BigInt.asUintN(64, hash * 0x100000001b3n);
  }
  return hash;
}

/** Byte-wise comparison of two keys (bbolt's and etcd's order). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
