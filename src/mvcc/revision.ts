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
  writeUint64(bytes, 0, main);
  bytes[8] = SEPARATOR;
  writeUint64(bytes, 9, sub);
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
  const main = readUint64(bytes, 0);
  const sub = readUint64(bytes, 9);
  if (main < 0 || sub < 0) throw new CorruptionError('backend:key', 0, 'revision is not a safe integer');
  return { main, sub, tombstone };
}

const TWO_POW_32 = 2 ** 32;
/** Largest high word of a safe integer (2^53 - 1 >> 32). */
const SAFE_HIGH_WORD_MAX = 2 ** 21 - 1;

/** Writes a safe non-negative integer as 8 bytes big-endian (no BigInt: this is on the hot path). */
function writeUint64(bytes: Uint8Array, offset: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  const low = value >>> 0;
  bytes[offset] = high >>> 24;
  bytes[offset + 1] = (high >>> 16) & 0xff;
  bytes[offset + 2] = (high >>> 8) & 0xff;
  bytes[offset + 3] = high & 0xff;
  bytes[offset + 4] = low >>> 24;
  bytes[offset + 5] = (low >>> 16) & 0xff;
  bytes[offset + 6] = (low >>> 8) & 0xff;
  bytes[offset + 7] = low & 0xff;
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/** Reads 8 bytes big-endian; -1 when the value is not a safe integer. */
function readUint64(bytes: Uint8Array, offset: number): number {
  const high = readUint32(bytes, offset);
  const low = readUint32(bytes, offset + 4);
  if (high > SAFE_HIGH_WORD_MAX) return -1;
  return high * TWO_POW_32 + low;
}

/** True when the key-bucket key carries the tombstone mark. */
export function isTombstoneKey(bytes: Uint8Array): boolean {
  return bytes.length === TOMBSTONE_REVISION_BYTES && bytes[17] === TOMBSTONE_MARK;
}

/** Orders revisions by (main, sub). */
export function compareRevisions(a: Revision, b: Revision): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}
