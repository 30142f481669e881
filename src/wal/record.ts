/**
 * Record framing of WAL segments (docs/formats/wal.md). Every record is a 16-byte header, a payload and
 * zero padding to the next multiple of 8 bytes:
 *
 *   0  u32 payloadBytes   4  u8 type   5  u8 padBytes   6  u16 reserved (0)
 *   8  u32 crc (chained)  12 u32 headerCrc = crc32c(header[0..12))
 *
 * `crc` chains across records and segments: crc = crc32c(payload, previousCrc). The crc record (type 1,
 * empty payload) instead stores the chain value it continues from, so each segment is self-describing.
 */
import { assert } from '../base/assert.js';
import { crc32c } from '../base/crc32c.js';

/** Record type codes as stored in the header's type byte. */
export const RecordType = { crc: 1, metadata: 2, entry: 3, hardState: 4, snapshot: 5 } as const;
export type RecordTypeName = keyof typeof RecordType;
export type RecordTypeCode = (typeof RecordType)[RecordTypeName];

const TYPE_NAMES: ReadonlyMap<number, RecordTypeName> = new Map(
  (Object.keys(RecordType) as RecordTypeName[]).map((name) => [RecordType[name], name]),
);

/** The name of a record type code, or undefined if the code is unknown. Throws nothing. */
export function recordTypeName(code: number): RecordTypeName | undefined {
  return TYPE_NAMES.get(code);
}

/** Size of every record header. */
export const HEADER_BYTES = 16;
/** Every record (header + payload + padding) is a multiple of this size. */
export const RECORD_ALIGN_BYTES = 8;
/** Largest payload a record may carry; a larger length in a checksummed header is corruption. */
export const RECORD_PAYLOAD_BYTES_MAX = 256 * 1024 * 1024;
const HEADER_CHECKED_BYTES = 12;

assert(HEADER_BYTES % RECORD_ALIGN_BYTES === 0, 'header keeps records aligned');

/** Zero bytes that follow a payload of `payloadBytes` so the record ends 8-byte aligned. */
export function paddingFor(payloadBytes: number): number {
  return (RECORD_ALIGN_BYTES - (payloadBytes % RECORD_ALIGN_BYTES)) % RECORD_ALIGN_BYTES;
}

/** Total on-disk size of a record with `payloadBytes` of payload. */
export function recordBytes(payloadBytes: number): number {
  return HEADER_BYTES + payloadBytes + paddingFor(payloadBytes);
}

/** A payload that knows its size and writes itself into a buffer (so a save is built in one buffer). */
export interface PayloadWriter {
  type: RecordTypeCode;
  sizeBytes: number;
  write(target: Buffer, offset: number): void;
}

/**
 * Encodes `items` as consecutive records in one buffer, continuing the crc chain from `chainIn`.
 * Returns the bytes and the chain value after the last record. Throws AssertionError on bad sizes.
 */
export function encodeRecords(items: readonly PayloadWriter[], chainIn: number): { bytes: Buffer; chainOut: number } {
  let totalBytes = 0;
  for (const item of items) {
    assert(Number.isSafeInteger(item.sizeBytes) && item.sizeBytes >= 0, 'payload size is a count');
    assert(item.sizeBytes <= RECORD_PAYLOAD_BYTES_MAX, `payload of ${item.sizeBytes} bytes exceeds the record limit`);
    totalBytes += recordBytes(item.sizeBytes);
  }
  const bytes = Buffer.alloc(totalBytes);
  let offset = 0;
  let chain = chainIn >>> 0;
  for (const item of items) {
    const payloadOffset = offset + HEADER_BYTES;
    item.write(bytes, payloadOffset);
    if (item.type === RecordType.crc) {
      assert(item.sizeBytes === 0, 'crc record has no payload');
    } else {
      chain = crc32c(bytes.subarray(payloadOffset, payloadOffset + item.sizeBytes), chain);
    }
    writeHeader(bytes, offset, { payloadBytes: item.sizeBytes, type: item.type, crc: chain });
    offset += recordBytes(item.sizeBytes);
  }
  assert(offset === totalBytes, 'records fill the buffer exactly');
  return { bytes, chainOut: chain };
}

interface HeaderFields { payloadBytes: number; type: number; crc: number }

function writeHeader(target: Buffer, offset: number, header: HeaderFields): void {
  target.writeUInt32LE(header.payloadBytes, offset);
  target.writeUInt8(header.type, offset + 4);
  target.writeUInt8(paddingFor(header.payloadBytes), offset + 5);
  target.writeUInt16LE(0, offset + 6);
  target.writeUInt32LE(header.crc >>> 0, offset + 8);
  const headerCrc = crc32c(target.subarray(offset, offset + HEADER_CHECKED_BYTES));
  target.writeUInt32LE(headerCrc, offset + HEADER_CHECKED_BYTES);
}

/** A parsed header; `headerCrcOk` says whether its own checksum matched. */
export interface RecordHeader {
  payloadBytes: number;
  type: number;
  padBytes: number;
  reserved: number;
  crc: number;
  headerCrcOk: boolean;
}

/** Parses the header at `offset`. The caller ensures HEADER_BYTES are available (asserted). */
export function readHeader(source: Buffer, offset: number): RecordHeader {
  assert(offset + HEADER_BYTES <= source.length, 'header lies inside the buffer');
  const expected = source.readUInt32LE(offset + HEADER_CHECKED_BYTES);
  return {
    payloadBytes: source.readUInt32LE(offset),
    type: source.readUInt8(offset + 4),
    padBytes: source.readUInt8(offset + 5),
    reserved: source.readUInt16LE(offset + 6),
    crc: source.readUInt32LE(offset + 8),
    headerCrcOk: crc32c(source.subarray(offset, offset + HEADER_CHECKED_BYTES)) === expected,
  };
}

/** True if source[start, end) is all zero bytes (vacuously true for an empty range). */
export function isZeroRange(source: Uint8Array, start: number, end: number): boolean {
  // Chunked memcmp against zeros: a preallocated segment tail is tens of megabytes.
  for (let i = start; i < end; i += ZERO_CHUNK.length) {
    const n = Math.min(ZERO_CHUNK.length, end - i);
    if (Buffer.compare(source.subarray(i, i + n), ZERO_CHUNK.subarray(0, n)) !== 0) return false;
  }
  return true;
}

const ZERO_CHUNK = new Uint8Array(64 * 1024);
