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
  return { root, dbis };
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
