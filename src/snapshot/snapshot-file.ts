/**
 * A snapshot file as etcd's Maintenance.Snapshot streams it and `etcdctl snapshot save` stores it: the
 * bbolt database bytes followed by the 32-byte sha256 of those bytes. etcd recognises the trailer by the
 * file size: a bbolt file is a whole number of pages, so `size % 512 == 32` means a trailer is present.
 */
import { sha256 } from '../platform/hash.js';

export const SHA256_BYTES = 32;
const TRAILER_ALIGNMENT_BYTES = 512;

/** A snapshot split into its database and (when present) its sha256 trailer. */
export interface SplitSnapshot {
  db: Uint8Array;
  /** The trailer, or undefined when the file has none (a plain bbolt file). */
  hash: Uint8Array | undefined;
}

/** Raised when the trailer does not match or is missing; the message is etcd's. */
export class SnapshotHashError extends Error {
  override readonly name = 'SnapshotHashError';
  readonly code = 'ERR_SNAPSHOT_HASH';
}

/** The database bytes followed by their sha256. */
export function appendHash(db: Uint8Array): Uint8Array {
  const out = new Uint8Array(db.length + SHA256_BYTES);
  out.set(db, 0);
  out.set(sha256(db), db.length);
  return out;
}

/** Splits `bytes` as etcd does (trailer present iff size % 512 == 32). Throws nothing. */
export function splitSnapshot(bytes: Uint8Array): SplitSnapshot {
  if (bytes.length % TRAILER_ALIGNMENT_BYTES !== SHA256_BYTES) return { db: bytes, hash: undefined };
  const end = bytes.length - SHA256_BYTES;
  return { db: bytes.subarray(0, end), hash: bytes.subarray(end) };
}

/** Go's `%v` of a byte slice: `[1 2 3]`. */
function goBytes(bytes: Uint8Array): string {
  return `[${[...bytes].join(' ')}]`;
}

/**
 * Checks the trailer as `etcdutl snapshot restore` does. Throws SnapshotHashError with etcd's texts:
 * "snapshot missing hash but --skip-hash-check=false" or "expected sha256 [..], got [..]".
 */
export function verifySnapshotHash(split: SplitSnapshot, skipHashCheck: boolean): void {
  if (skipHashCheck) return;
  if (split.hash === undefined) throw new SnapshotHashError('snapshot missing hash but --skip-hash-check=false');
  const actual = sha256(split.db);
  if (Buffer.compare(actual, split.hash) !== 0) {
    throw new SnapshotHashError(`expected sha256 ${goBytes(split.hash)}, got ${goBytes(actual)}`);
  }
}
