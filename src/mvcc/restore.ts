import type { Backend } from '../backend/backend.js';
import { bytesToBinaryString } from '../backend/bytes.js';
import { CorruptionError } from '../base/errors.js';
import { KeyIndexBuilder, type KeyIndex } from './key-index.js';
import { decodeKeyValue } from './kv-codec.js';
import { decodeRevision, encodeRevision } from './revision.js';

/** What a scan of the `key` bucket yields besides the rebuilt index. */
export interface RestoredKeys {
  /** The rebuilt index. */
  index: KeyIndex;
  /** The newest main revision found (0 if the bucket is empty). */
  newestRevision: number;
  /** Live keys (binary strings) attached to a lease at the end of the scan. */
  leases: Map<string, bigint>;
}

/**
 * Rebuilds the index from every revision in the `key` bucket, oldest first (etcd's restore). Throws
 * CorruptionError on malformed keys or values or revisions out of order.
 */
export function restoreIndex(backend: Backend): RestoredKeys {
  const builder = new KeyIndexBuilder();
  const leases = new Map<string, bigint>();
  let newestRevision = 0;
  let previousMain = -1;
  let previousSub = -1;
  for (const [revisionKey, value] of backend.range('key', encodeRevision(0, 0))) {
    const { main, sub, tombstone } = decodeRevision(revisionKey);
    if (main < previousMain || (main === previousMain && sub <= previousSub)) {
      throw new CorruptionError('backend:key', 0, `revision ${main}_${sub} out of order`);
    }
    previousMain = main;
    previousSub = sub;
    const kv = decodeKeyValue(value);
    const key = bytesToBinaryString(kv.key);
    if (tombstone) {
      builder.tombstone(key, main, sub);
      leases.delete(key);
    } else {
      builder.put(key, main, sub, kv.createRevision, kv.version);
      if (kv.lease !== 0n) leases.set(key, kv.lease);
      else leases.delete(key);
    }
    newestRevision = main;
  }
  return { index: builder.build(), newestRevision, leases };
}
