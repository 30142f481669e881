import { assertSafeInteger } from '../base/assert.js';
import { CorruptionError } from '../base/errors.js';
import type { Backend } from '../backend/backend.js';
import { decodeRevision, encodeRevision } from './revision.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

/** etcd's `meta` bucket key names. */
export const META_CONSISTENT_INDEX = text('consistent_index');
export const META_TERM = text('term');
export const META_SCHEDULED_COMPACT = text('scheduledCompactRev');
export const META_FINISHED_COMPACT = text('finishedCompactRev');

/** 8-byte big-endian encoding of a safe non-negative integer (consistent_index, term). */
export function encodeUint64(value: number): Uint8Array {
  assertSafeInteger(value, 'meta integer');
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value));
  return bytes;
}

/** Reads an 8-byte BE meta integer; 0 when absent. Throws CorruptionError on a bad value. */
export function readUint64(backend: Backend, key: Uint8Array): number {
  const bytes = backend.get('meta', key);
  if (bytes === undefined) return 0;
  if (bytes.length !== 8) throw new CorruptionError('backend:meta', 0, `meta value of ${bytes.length} bytes`);
  const value = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0));
  if (!Number.isSafeInteger(value)) throw new CorruptionError('backend:meta', 0, 'meta integer is not safe');
  return value;
}

/** Reads a compaction mark (stored as a 17-byte revision, etcd's format); undefined when absent. */
export function readCompactMark(backend: Backend, key: Uint8Array): number | undefined {
  const bytes = backend.get('meta', key);
  return bytes === undefined ? undefined : decodeRevision(bytes).main;
}

/** Writes a compaction mark into the pending batch. */
export function writeCompactMark(backend: Backend, key: Uint8Array, revision: number): void {
  backend.put('meta', key, encodeRevision(revision, 0));
}
