import { crc32c } from '../base/crc32c.js';
import { BUCKET_NAMES } from '../backend/buckets.js';
import type { Backend } from '../backend/backend.js';
import { compareBytes } from '../backend/bytes.js';
import { META_CONSISTENT_INDEX, META_TERM } from './meta.js';
import { decodeRevision, encodeRevision, REVISION_BYTES } from './revision.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

/**
 * etcd's HashKV hash: CRC-32C over the bucket name "key", then key and value of every revision
 * <= `revision`, skipping revisions <= `compactRevision` that compaction at `revision` would not
 * keep (`keep`; when empty nothing is skipped, as in etcd).
 */
export function hashKeyBucket(
  backend: Backend, options: { revision: number; compactRevision: number; keep: Set<string> },
): number {
  let hash = crc32c(text('key'));
  const end = encodeRevision(options.revision + 1, 0);
  for (const [key, value] of backend.range('key', encodeRevision(0, 0), end)) {
    const { main } = decodeRevision(key);
    if (main <= options.compactRevision && options.keep.size > 0) {
      const revisionText = Buffer.from(key.buffer, key.byteOffset, REVISION_BYTES).toString('latin1');
      if (!options.keep.has(revisionText)) continue;
    }
    hash = crc32c(value, crc32c(key, hash));
  }
  return hash;
}

/**
 * etcd's Maintenance.Hash: CRC-32C over every bucket in name order (its name, then each key and
 * value in key order), ignoring meta's consistent_index and term (which differ between members).
 */
export function hashAllBuckets(backend: Backend): number {
  const names = BUCKET_NAMES.map((name) => ({ name, bytes: text(name) }));
  names.sort((a, b) => compareBytes(a.bytes, b.bytes));
  let hash = 0;
  for (const { name, bytes } of names) {
    hash = crc32c(bytes, hash);
    for (const [key, value] of backend.range(name, new Uint8Array([0]))) {
      if (name === 'meta' && (isEqual(key, META_CONSISTENT_INDEX) || isEqual(key, META_TERM))) continue;
      hash = crc32c(value, crc32c(key, hash));
    }
  }
  return hash;
}

function isEqual(a: Uint8Array, b: Uint8Array): boolean {
  return compareBytes(a, b) === 0;
}
