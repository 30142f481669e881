import { open } from 'lmdb';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { BUCKET_NAMES, type BucketName } from './buckets.js';

/** The root LMDB environment handle as returned by lmdb's open(). */
export type LmdbRoot = ReturnType<typeof open<Uint8Array, Uint8Array>>;
/** One named database (bucket) handle with binary keys and values. */
export type LmdbDbi = ReturnType<typeof openBucket>;

function openBucket(root: LmdbRoot, name: BucketName) {
  return root.openDB<Uint8Array, Uint8Array>(name, { keyEncoding: 'binary', encoding: 'binary', cache: false });
}

/** LMDB map size: virtual address space only, so generous; the quota (not mapSize) limits the store. */
export const MAP_SIZE_BYTES_DEFAULT = 64 * 1024 ** 3;
/** Largest key LMDB accepts with lmdb-js's build (MDB_MAXKEYSIZE). */
export const LMDB_KEY_BYTES_MAX = 1978;
/** Meta pages at the start of every LMDB file (NUM_METAS). */
export const LMDB_META_PAGES = 2;

/** An open environment plus one handle per bucket. */
export interface LmdbEnv {
  /** The data file the environment was opened at (its lock file is `<path>-lock`). */
  path: string;
  root: LmdbRoot;
  dbis: Map<BucketName, LmdbDbi>;
}

/**
 * Opens (creating if needed) the single-file LMDB environment at `path` (noSubdir: the data file is
 * `path`, its lock file `path-lock`) and every bucket. Throws what lmdb throws (bad file, no space).
 */
export function openLmdbEnv(path: string, mapSizeBytes: number): LmdbEnv {
  const root = open<Uint8Array, Uint8Array>({
    path,
    noSubdir: true,
    maxDbs: BUCKET_NAMES.length + 4,
    mapSize: mapSizeBytes,
    keyEncoding: 'binary',
    encoding: 'binary',
    // A commit returns only after LMDB fsynced it; the commit runs on lmdb's write thread.
    overlappingSync: false,
    cache: false,
  });
  const dbis = new Map<BucketName, LmdbDbi>();
  for (const name of BUCKET_NAMES) {
    dbis.set(name, openBucket(root, name));
  }
  const env = { path, root, dbis };
  seedFreelist(env);
  return env;
}

/** A key of the unnamed (catalog) database that is written and removed again by seedFreelist. */
const FREELIST_SEED_KEY = Buffer.from('\u0000tetcd-freelist-seed', 'latin1');

/**
 * Works around an lmdb-js 3.5.x freelist bug (issue #6, docs/design/0011-defrag-env-swap.md): in a file
 * whose free-page database is empty but whose transaction id is above 1 (what a compacting copy,
 * `backup(path, true)`, produces), the first commit that frees enough pages to need an overflow page
 * for its free-page record makes mdb_page_alloc walk the free-page database while its just-created root
 * page has no entries: mdb_cursor_last then reads node 0xffff of that page, which crashes (SIGSEGV) or
 * fails the commit ("Invalid zero size key", MDB_BAD_VALSIZE). A tiny write transaction that touches
 * only the catalog page frees one page, so its free-page record fits in the root leaf and the free-page
 * database is no longer empty when real commits arrive. The data is unchanged (the key is removed in the
 * same transaction). Throws what lmdb throws.
 */
function seedFreelist(env: LmdbEnv): void {
  if (freeRecordCount(env) > 0) return;
  env.root.transactionSync(() => {
    env.root.putSync(FREELIST_SEED_KEY, new Uint8Array(0));
    env.root.removeSync(FREELIST_SEED_KEY);
  });
}

/** Number of records in LMDB's free-page database. */
export function freeRecordCount(env: LmdbEnv): number {
  const stats = env.root.getStats() as { free?: { entryCount?: number } };
  return stats.free?.entryCount ?? 0;
}

/** Pages in use (branch + leaf + overflow) of one stats record lmdb returns. */
function pagesOf(stats: unknown): number {
  const record = stats as { treeBranchPageCount?: number; treeLeafPageCount?: number; overflowPages?: number };
  return (record.treeBranchPageCount ?? 0) + (record.treeLeafPageCount ?? 0) + (record.overflowPages ?? 0);
}

/** Bytes of pages in use: every bucket's pages, the catalog, the freelist tree and the meta pages. */
export function lmdbInUseBytes(env: LmdbEnv): number {
  const rootStats = env.root.getStats() as { pageSize: number; root: unknown; free: unknown };
  let pages = LMDB_META_PAGES + pagesOf(rootStats.root) + pagesOf(rootStats.free);
  for (const dbi of env.dbis.values()) pages += pagesOf(dbi.getStats());
  return pages * rootStats.pageSize;
}

/** fsyncs a file or directory by path. Throws the fs error (ENOENT, EIO). */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
