/**
 * Reads and checks a bbolt file: both meta pages (magic, version, FNV-1a checksum), every page of every
 * bucket tree (page ids, types, bounds, element bounds, key order), the freelist, and that each page is
 * referenced exactly once or free (bbolt's `tx.Check()` rules). The first problem throws a
 * CorruptionError naming the byte offset.
 */
import { CorruptionError } from '../../base/errors.js';
import {
  BUCKET_HEADER_BYTES, COUNT_IN_BODY, compareBytes, DEFAULT_PAGE_SIZE_BYTES, ELEMENT_BYTES, ELEMENT_FLAG_BUCKET,
  fnv1a64, MAGIC, META_BYTES, META_CHECKSUMMED_BYTES, PAGE_FLAG_BRANCH, PAGE_FLAG_FREELIST, PAGE_FLAG_LEAF,
  PAGE_FLAG_META, PAGE_HEADER_BYTES, PGID_NO_FREELIST, VERSION, type BboltMeta,
} from './format.js';

/** A checked bbolt file: its current meta and the key/value pairs of each top-level bucket. */
export interface BboltDatabase {
  meta: BboltMeta;
  /** Top-level buckets by name (latin1-decoded), entries in key order. Nested buckets are not listed. */
  buckets: Map<string, Array<[Uint8Array, Uint8Array]>>;
  freePageCount: number;
  /** hwm * page size: bbolt's tx.Size(), etcdctl's "TOTAL SIZE". */
  sizeBytes: number;
}

const NO_FREELIST = -1;
const MIN_PAGE_SIZE_BYTES = 512;
const MAX_PAGE_SIZE_BYTES = 1 << 20;

/**
 * Parses and checks `bytes` (a whole bbolt file, without any trailer). `file` names it in errors.
 * Throws CorruptionError on the first structural problem.
 */
export function readBbolt(bytes: Uint8Array, file = 'db'): BboltDatabase {
  const meta = currentMeta(bytes, file);
  return new Walker(bytes, file, meta).run();
}

/** Decodes the meta struct of the page at `offset`; undefined when it fails validation. */
function decodeMeta(bytes: Uint8Array, offset: number): BboltMeta | undefined {
  if (offset + PAGE_HEADER_BYTES + META_BYTES > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, PAGE_HEADER_BYTES + META_BYTES);
  const m = PAGE_HEADER_BYTES;
  if ((view.getUint16(8, true) & PAGE_FLAG_META) === 0) return undefined;
  if (view.getUint32(m, true) !== MAGIC || view.getUint32(m + 4, true) !== VERSION) return undefined;
  const start = offset + m;
  const checksum = fnv1a64(bytes.subarray(start, start + META_CHECKSUMMED_BYTES));
  if (checksum !== view.getBigUint64(m + META_CHECKSUMMED_BYTES, true)) return undefined;
  const freelist = view.getBigUint64(m + 32, true);
  return {
    pageSizeBytes: view.getUint32(m + 8, true), flags: view.getUint32(m + 12, true),
    rootPgid: safe(view.getBigUint64(m + 16, true)), rootSequence: view.getBigUint64(m + 24, true),
    freelistPgid: freelist === PGID_NO_FREELIST ? NO_FREELIST : safe(freelist),
    highWaterPgid: safe(view.getBigUint64(m + 40, true)), txid: view.getBigUint64(m + 48, true),
  };
}

function safe(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** The valid meta page with the higher txid (page 0 wins a tie). */
function currentMeta(bytes: Uint8Array, file: string): BboltMeta {
  const meta0 = decodeMeta(bytes, 0);
  const pageSize = meta0?.pageSizeBytes ?? DEFAULT_PAGE_SIZE_BYTES;
  const meta1 = decodeMeta(bytes, pageSize);
  const candidates = [meta0, meta1].filter((m): m is BboltMeta => m !== undefined);
  if (candidates.length === 0) {
    throw new CorruptionError(file, 0, 'no valid meta page (bad magic, version or checksum): not a bbolt database');
  }
  const meta = candidates.length === 2 && meta1!.txid > meta0!.txid ? meta1! : candidates[0]!;
  const size = meta.pageSizeBytes;
  if (size < MIN_PAGE_SIZE_BYTES || size > MAX_PAGE_SIZE_BYTES || (size & (size - 1)) !== 0) {
    throw new CorruptionError(file, PAGE_HEADER_BYTES + 8, `invalid page size ${size}`);
  }
  if (meta.highWaterPgid < 2 || meta.highWaterPgid * size > bytes.length) {
    throw new CorruptionError(file, bytes.length,
      `file of ${bytes.length} bytes is shorter than its ${meta.highWaterPgid} pages of ${size} bytes`);
  }
  return meta;
}

interface Page { pgid: number; offset: number; flags: number; count: number; body: Uint8Array; view: DataView }

class Walker {
  private readonly seen: Uint8Array;
  private readonly buckets = new Map<string, Array<[Uint8Array, Uint8Array]>>();
  private freeCount = 0;

  constructor(private readonly bytes: Uint8Array, private readonly file: string, private readonly meta: BboltMeta) {
    this.seen = new Uint8Array(meta.highWaterPgid);
  }

  run(): BboltDatabase {
    this.seen[0] = 1;
    this.seen[1] = 1;
    if (this.meta.freelistPgid !== NO_FREELIST) this.readFreelist(this.meta.freelistPgid);
    this.walkTree(this.meta.rootPgid, (key, value, flags, offset) => {
      if ((flags & ELEMENT_FLAG_BUCKET) === 0) {
        throw new CorruptionError(this.file, offset, 'root bucket holds a plain key (not a bucket)');
      }
      const entries: Array<[Uint8Array, Uint8Array]> = [];
      this.buckets.set(Buffer.from(key).toString('latin1'), entries);
      this.walkBucket(value, offset, (k, v, f, at) => {
        if ((f & ELEMENT_FLAG_BUCKET) === 0) entries.push([k, v]);
        else this.walkNested(v, at);
      });
    });
    // Without a persisted freelist, bbolt rebuilds it from the unreachable pages (etcd runs that way).
    const freelistPersisted = this.meta.freelistPgid !== NO_FREELIST;
    for (let pgid = 2; pgid < this.meta.highWaterPgid; pgid++) {
      if (this.seen[pgid] !== 0) continue;
      if (freelistPersisted) this.fail(pgid * this.meta.pageSizeBytes, `page ${pgid}: unreachable unfreed`);
      this.freeCount++;
    }
    return { meta: this.meta, buckets: this.buckets, freePageCount: this.freeCount,
      sizeBytes: this.meta.highWaterPgid * this.meta.pageSizeBytes };
  }

  private fail(offset: number, detail: string): never {
    throw new CorruptionError(this.file, offset, detail);
  }

  /** Reads the page `pgid`, marks it and its overflow pages used, and checks id and bounds. */
  private page(pgid: number, from: string): Page {
    const size = this.meta.pageSizeBytes;
    if (pgid < 2 || pgid >= this.meta.highWaterPgid) this.fail(0, `page ${pgid} (${from}): out of bounds`);
    const offset = pgid * size;
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + offset, PAGE_HEADER_BYTES);
    const storedId = view.getBigUint64(0, true);
    if (storedId !== BigInt(pgid)) this.fail(offset, `page ${pgid}: header holds id ${storedId}`);
    const overflow = view.getUint32(12, true);
    const end = pgid + overflow + 1;
    if (end > this.meta.highWaterPgid) this.fail(offset + 12, `page ${pgid}: overflow ${overflow} past the high-water mark`);
    for (let id = pgid; id < end; id++) {
      if (this.seen[id] !== 0) this.fail(id * size, `page ${id}: multiple references`);
      this.seen[id] = 1;
    }
    const body = this.bytes.subarray(offset, end * size);
    return { pgid, offset, flags: view.getUint16(8, true), count: view.getUint16(10, true), body,
      view: new DataView(body.buffer, body.byteOffset, body.byteLength) };
  }

  private readFreelist(pgid: number): void {
    const page = this.page(pgid, 'freelist');
    if (page.flags !== PAGE_FLAG_FREELIST) this.fail(page.offset + 8, `page ${pgid}: invalid type for a freelist`);
    let count = page.count;
    let at = PAGE_HEADER_BYTES;
    if (count === COUNT_IN_BODY) {
      count = safe(page.view.getBigUint64(at, true));
      at += 8;
    }
    if (at + count * 8 > page.body.length) this.fail(page.offset, `freelist of ${count} ids overflows its page`);
    for (let i = 0; i < count; i++, at += 8) {
      const id = safe(page.view.getBigUint64(at, true));
      if (id < 2 || id >= this.meta.highWaterPgid) this.fail(page.offset + at, `free page ${id}: out of bounds`);
      if (this.seen[id] !== 0) this.fail(page.offset + at, `page ${id}: already freed or in use`);
      this.seen[id] = 1;
      this.freeCount++;
    }
  }

  /** Walks a nested bucket (etcd has none) only to account for its pages. */
  private walkNested(value: Uint8Array, offset: number): void {
    this.walkBucket(value, offset, (_k, v, f, at) => { if ((f & ELEMENT_FLAG_BUCKET) !== 0) this.walkNested(v, at); });
  }

  /** Visits a bucket value (header + optional inline page) found at byte `offset`. */
  private walkBucket(value: Uint8Array, offset: number,
    visit: (key: Uint8Array, value: Uint8Array, flags: number, offset: number) => void): void {
    if (value.length < BUCKET_HEADER_BYTES) this.fail(offset, `bucket value of ${value.length} bytes`);
    const root = safe(new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, true));
    if (root !== 0) {
      this.walkTree(root, visit);
      return;
    }
    const inline = value.subarray(BUCKET_HEADER_BYTES);
    if (inline.length < PAGE_HEADER_BYTES) this.fail(offset, 'inline bucket without a page header');
    const view = new DataView(inline.buffer, inline.byteOffset, inline.byteLength);
    const page: Page = { pgid: 0, offset: offset + BUCKET_HEADER_BYTES, flags: view.getUint16(8, true),
      count: view.getUint16(10, true), body: inline, view };
    if (page.flags !== PAGE_FLAG_LEAF) this.fail(page.offset + 8, `inline bucket page of type ${page.flags}`);
    this.visitLeaf(page, visit);
  }

  private walkTree(pgid: number,
    visit: (key: Uint8Array, value: Uint8Array, flags: number, offset: number) => void): void {
    const page = this.page(pgid, 'tree');
    if (page.flags === PAGE_FLAG_LEAF) {
      this.visitLeaf(page, visit);
      return;
    }
    if (page.flags !== PAGE_FLAG_BRANCH) this.fail(page.offset + 8, `page ${pgid}: invalid type ${page.flags}`);
    if (page.count === 0) this.fail(page.offset + 10, `branch page ${pgid} without elements`);
    let previous: Uint8Array | undefined;
    for (let i = 0; i < page.count; i++) {
      const at = PAGE_HEADER_BYTES + i * ELEMENT_BYTES;
      this.checkElement(page, at);
      const pos = page.view.getUint32(at, true);
      const keySize = page.view.getUint32(at + 4, true);
      const child = safe(page.view.getBigUint64(at + 8, true));
      const key = this.slice(page, at + pos, keySize);
      if (previous !== undefined && compareBytes(previous, key) >= 0) this.fail(page.offset + at, 'branch keys out of order');
      previous = key;
      this.walkTree(child, visit);
    }
  }

  private visitLeaf(page: Page,
    visit: (key: Uint8Array, value: Uint8Array, flags: number, offset: number) => void): void {
    let previous: Uint8Array | undefined;
    for (let i = 0; i < page.count; i++) {
      const at = PAGE_HEADER_BYTES + i * ELEMENT_BYTES;
      this.checkElement(page, at);
      const flags = page.view.getUint32(at, true);
      const pos = page.view.getUint32(at + 4, true);
      const key = this.slice(page, at + pos, page.view.getUint32(at + 8, true));
      const value = this.slice(page, at + pos + key.length, page.view.getUint32(at + 12, true));
      if (previous !== undefined && compareBytes(previous, key) >= 0) this.fail(page.offset + at, 'leaf keys out of order');
      previous = key;
      visit(key, value, flags, page.offset + at + pos + key.length);
    }
  }

  private checkElement(page: Page, at: number): void {
    if (at + ELEMENT_BYTES > page.body.length) this.fail(page.offset + at, `${page.count} elements overflow the page`);
  }

  private slice(page: Page, start: number, length: number): Uint8Array {
    if (start + length > page.body.length) this.fail(page.offset + start, `element data of ${length} bytes overflows the page`);
    return page.body.subarray(start, start + length);
  }
}
