import { assert, assertSafeInteger } from '../base/assert.js';
import { CorruptionError } from '../base/errors.js';

/**
 * A revision as stored in the `key` bucket: `main` is the store revision of a write transaction,
 * `sub` the index of the change within it. Key bytes: 8-byte big-endian main, '_', 8-byte BE sub,
 * plus a trailing 't' for tombstones (etcd's format).
 */
export interface Revision {
  main: number;
  sub: number;
}

/** Length of a revision key without / with the tombstone mark. */
export const REVISION_BYTES = 17;
export const TOMBSTONE_REVISION_BYTES = 18;
const SEPARATOR = 0x5f; // '_'
const TOMBSTONE_MARK = 0x74; // 't'

/** Encodes a revision key; throws AssertionError on a negative or unsafe component. */
export function encodeRevision(main: number, sub: number, tombstone = false): Uint8Array {
  assertSafeInteger(main, 'revision main');
  assertSafeInteger(sub, 'revision sub');
  assert(main >= 0 && sub >= 0, 'revision components must not be negative');
  const bytes = new Uint8Array(tombstone ? TOMBSTONE_REVISION_BYTES : REVISION_BYTES);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(main));
  bytes[8] = SEPARATOR;
  view.setBigUint64(9, BigInt(sub));
  if (tombstone) bytes[17] = TOMBSTONE_MARK;
  return bytes;
}

/** The revision key as a binary (latin1) string of 17 chars: used for keep-sets during compaction. */
export function revisionKeyString(main: number, sub: number): string {
  return Buffer.from(encodeRevision(main, sub)).toString('latin1');
}

/**
 * Decodes a `key`-bucket key. Throws CorruptionError (file "backend:key") on a malformed key or a
 * revision that is not a safe integer.
 */
export function decodeRevision(bytes: Uint8Array): Revision & { tombstone: boolean } {
  if (bytes.length !== REVISION_BYTES && bytes.length !== TOMBSTONE_REVISION_BYTES) {
    throw new CorruptionError('backend:key', 0, `revision key of ${bytes.length} bytes`);
  }
  if (bytes[8] !== SEPARATOR) throw new CorruptionError('backend:key', 8, 'revision key without separator');
  const tombstone = bytes.length === TOMBSTONE_REVISION_BYTES;
  if (tombstone && bytes[17] !== TOMBSTONE_MARK) throw new CorruptionError('backend:key', 17, 'bad tombstone mark');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const main = Number(view.getBigUint64(0));
  const sub = Number(view.getBigUint64(9));
  if (!Number.isSafeInteger(main) || !Number.isSafeInteger(sub)) {
    throw new CorruptionError('backend:key', 0, 'revision is not a safe integer');
  }
  return { main, sub, tombstone };
}

/** True when the key-bucket key carries the tombstone mark. */
export function isTombstoneKey(bytes: Uint8Array): boolean {
  return bytes.length === TOMBSTONE_REVISION_BYTES && bytes[17] === TOMBSTONE_MARK;
}

/** Orders revisions by (main, sub). */
export function compareRevisions(a: Revision, b: Revision): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}
