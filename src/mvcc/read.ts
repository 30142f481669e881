import { assert } from '../base/assert.js';
import { etcdError } from '../base/errors.js';
import type { Backend } from '../backend/backend.js';
import type { KeyIndex } from './key-index.js';
import { decodeKeyValue, type KeyValue } from './kv-codec.js';
import { keyInterval } from './range-end.js';
import { encodeRevision } from './revision.js';

/** Options of a Range. `revision` <= 0 (or absent) reads the current revision. */
export interface RangeOptions {
  revision?: number | undefined;
  /** At most this many kvs (<= 0 or absent: all); `count` ignores it. */
  limit?: number | undefined;
  countOnly?: boolean | undefined;
  keysOnly?: boolean | undefined;
}

/** kvs in key order; count = keys in range at the read revision; revision = the store's revision. */
export interface RangeResult {
  kvs: KeyValue[];
  count: number;
  revision: number;
}

/** Reads the KeyValue stored at (main, sub). Throws AssertionError if the index points at nothing. */
export function readKeyValue(backend: Backend, main: number, sub: number): KeyValue {
  const bytes = backend.get('key', encodeRevision(main, sub));
  assert(bytes !== undefined, `index points at missing revision ${main}_${sub}`);
  return decodeKeyValue(bytes);
}

/**
 * Range over the index and backend at `readRevision`, checked against `compactRevision`.
 * Throws EtcdError ERR_FUTURE_REV / ERR_COMPACTED like etcd.
 */
export function rangeAt(
  state: { backend: Backend; index: KeyIndex; compactRevision: number },
  request: { key: Uint8Array; rangeEnd: Uint8Array; options: RangeOptions; readRevision: number },
): RangeResult {
  const { backend, index, compactRevision } = state;
  const { options, readRevision } = request;
  const wanted = options.revision !== undefined && options.revision > 0 ? options.revision : readRevision;
  if (wanted > readRevision) throw etcdError('ERR_FUTURE_REV');
  if (wanted < compactRevision) throw etcdError('ERR_COMPACTED');
  const interval = keyInterval(request.key, request.rangeEnd);
  const found = index.range(interval, wanted, options.countOnly ? 1 : options.limit ?? 0);
  if (options.countOnly) return { kvs: [], count: found.count, revision: readRevision };
  const kvs: KeyValue[] = new Array<KeyValue>(found.keys.length);
  for (let i = 0; i < found.keys.length; i++) {
    const kv = readKeyValue(backend, found.mains[i]!, found.subs[i]!);
    if (options.keysOnly) kv.value = new Uint8Array(0);
    kvs[i] = kv;
  }
  return { kvs, count: found.count, revision: readRevision };
}
