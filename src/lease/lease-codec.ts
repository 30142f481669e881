/**
 * On-disk format of one lease in the backend `lease` bucket, wire-compatible with etcd's
 * leasepb.Lease: key = the lease id as 8 bytes big-endian; value = protobuf {ID=1 int64, TTL=2 int64,
 * RemainingTTL=3 int64}. RemainingTTL is 0 unless a checkpoint recorded one.
 */
import { assert } from '../base/assert.js';
import { CorruptionError } from '../base/errors.js';
import type { LeaseId } from '../base/ids.js';
import { Reader, WIRE_VARINT, Writer } from '../proto/runtime.js';

/** A lease as persisted. */
export interface LeaseRecord {
  id: LeaseId;
  /** Granted TTL in seconds (after raising to the minimum). */
  ttlSeconds: number;
  /** Remaining TTL recorded by a checkpoint, 0 if none. */
  remainingTtlSeconds: number;
}

const ID_BYTES = 8;
const FIELD_ID = 1;
const FIELD_TTL = 2;
const FIELD_REMAINING_TTL = 3;

/** The bucket key of a lease: its id as 8 bytes big-endian (two's complement). Throws nothing. */
export function encodeLeaseKey(id: LeaseId): Uint8Array {
  const key = new Uint8Array(ID_BYTES);
  new DataView(key.buffer).setBigUint64(0, BigInt.asUintN(64, id));
  return key;
}

/** Decodes a bucket key. Throws CorruptionError unless it is 8 bytes. */
export function decodeLeaseKey(key: Uint8Array): LeaseId {
  if (key.length !== ID_BYTES) throw new CorruptionError('backend:lease', 0, `lease key of ${key.length} bytes`);
  return BigInt.asIntN(64, new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(0));
}

/** Encodes a lease record. Throws AssertionError on a non-positive id or a negative/unsafe TTL. */
export function encodeLeaseRecord(record: LeaseRecord): Uint8Array {
  assert(record.id !== 0n, 'lease id 0 is not a lease');
  assert(Number.isSafeInteger(record.ttlSeconds) && record.ttlSeconds >= 0, `bad lease TTL ${record.ttlSeconds}`);
  assert(Number.isSafeInteger(record.remainingTtlSeconds) && record.remainingTtlSeconds >= 0,
    `bad remaining TTL ${record.remainingTtlSeconds}`);
  const w = new Writer();
  w.uint32((FIELD_ID << 3) | WIRE_VARINT);
  w.bigint64(record.id);
  if (record.ttlSeconds !== 0) {
    w.uint32((FIELD_TTL << 3) | WIRE_VARINT);
    w.int64(record.ttlSeconds);
  }
  if (record.remainingTtlSeconds !== 0) {
    w.uint32((FIELD_REMAINING_TTL << 3) | WIRE_VARINT);
    w.int64(record.remainingTtlSeconds);
  }
  return w.finish();
}

/** Decodes a lease record. Throws CorruptionError on malformed bytes or values out of range. */
export function decodeLeaseRecord(bytes: Uint8Array): LeaseRecord {
  const record: LeaseRecord = { id: 0n, ttlSeconds: 0, remainingTtlSeconds: 0 };
  try {
    const r = new Reader(bytes);
    while (r.pos < bytes.length) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if (field === FIELD_ID && (tag & 7) === WIRE_VARINT) record.id = r.int64Big();
      else if (field === FIELD_TTL && (tag & 7) === WIRE_VARINT) record.ttlSeconds = r.int64();
      else if (field === FIELD_REMAINING_TTL && (tag & 7) === WIRE_VARINT) record.remainingTtlSeconds = r.int64();
      else r.skip(tag);
    }
  } catch (error) {
    throw new CorruptionError('backend:lease', 0, `malformed lease record: ${String(error)}`);
  }
  if (record.id === 0n || record.ttlSeconds < 0 || record.remainingTtlSeconds < 0) {
    throw new CorruptionError('backend:lease', 0, `lease record out of range: ${record.id} ttl ${record.ttlSeconds}`);
  }
  return record;
}
