/**
 * `snapshot status` as etcdctl 3.4 / etcdutl 3.5 compute it from a bbolt file: a CRC-32C over every
 * bucket name, key and value in bucket order, the main revision of the last key in `key`, the number of
 * keys over all buckets, and the file size bbolt reports (high-water mark * page size).
 */
import { crc32c } from '../base/crc32c.js';
import type { BboltDatabase } from './bbolt/reader.js';

/** etcd's snapshot.Status. */
export interface SnapshotStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

const REVISION_MAIN_BYTES = 8;

/** The main revision of the last `key` bucket entry (0 when empty), as etcd reads it. */
export function lastMainRevision(entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): number {
  const last = entries.at(-1)?.[0];
  if (last === undefined || last.length < REVISION_MAIN_BYTES) return 0;
  return Number(new DataView(last.buffer, last.byteOffset, REVISION_MAIN_BYTES).getBigInt64(0));
}

/** Computes the status of a checked database. Throws nothing. */
export function snapshotStatus(db: BboltDatabase): SnapshotStatus {
  let hash = 0;
  let revision = 0;
  let totalKey = 0;
  const names = [...db.buckets.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
  for (const name of names) {
    hash = crc32c(Buffer.from(name, 'latin1'), hash);
    const isKeyBucket = name === 'key';
    for (const [key, value] of db.buckets.get(name) ?? []) {
      hash = crc32c(value, crc32c(key, hash));
      if (isKeyBucket && key.length >= REVISION_MAIN_BYTES) {
        revision = Number(new DataView(key.buffer, key.byteOffset, REVISION_MAIN_BYTES).getBigInt64(0));
      }
      totalKey++;
    }
  }
  return { hash: hash >>> 0, revision, totalKey, totalSize: db.sizeBytes };
}
