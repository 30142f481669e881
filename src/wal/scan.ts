/**
 * Scans one segment's bytes into checked records. Distinguishes a torn tail (only possible in the last
 * segment: an incomplete record, or a bad checksum followed by nothing but zeros) from corruption (any
 * other failure), which throws CorruptionError naming the file and offset. Zeros from a record boundary
 * to the end of the last segment are its preallocated free space, not a tear.
 */
import { CorruptionError } from '../base/errors.js';
import { crc32c } from '../base/crc32c.js';
import {
  HEADER_BYTES, RECORD_PAYLOAD_BYTES_MAX, RecordType, isZeroRange, paddingFor, readHeader, recordBytes,
  recordTypeName, type RecordTypeName,
} from './record.js';

/** Records every segment starts with: crc (chain link), then metadata. */
export const SEGMENT_HEADER_RECORDS = 2;

/** A record that passed every check, with its payload as a view into the segment buffer. */
export interface RawRecord {
  offset: number;
  type: RecordTypeName;
  payload: Buffer;
  /** The header's crc field (for a crc record: the chain value carried from the previous segment). */
  crc: number;
  sizeBytes: number;
}

/** The result of scanning one segment. */
export interface SegmentScan {
  records: RawRecord[];
  /** The chain value after the last good record. */
  chainOut: number;
  /** Set if the segment ends in a torn tail that starts at `offset` (only when isLast). */
  torn?: { offset: number; detail: string };
  /**
   * Where the records end: the file size, or where the last segment's preallocated space (zeros from
   * a record boundary to the end of the file) starts.
   */
  endOffset: number;
}

interface ScanContext {
  file: string;
  bytes: Buffer;
  isLast: boolean;
}

type Step = { record: RawRecord; chain: number } | { tornDetail: string };

/**
 * Scans `bytes` (the whole content of `file`). `chainIn` is the chain value at the end of the previous
 * segment, or undefined if this is the first segment read (its carried crc is then trusted).
 * Throws CorruptionError on corruption; reports a torn tail in `torn` when `isLast`.
 */
export function scanSegment(file: string, bytes: Buffer, isLast: boolean, chainIn: number | undefined): SegmentScan {
  const context: ScanContext = { file, bytes, isLast };
  const records: RawRecord[] = [];
  let chain = chainIn ?? 0;
  let offset = 0;
  while (offset < bytes.length) {
    if (isLast && records.length >= SEGMENT_HEADER_RECORDS && isZeroRange(bytes, offset, bytes.length)) {
      return { records, chainOut: chain, endOffset: offset };
    }
    const step = scanRecord(context, offset, chain);
    if ('tornDetail' in step) {
      if (records.length < SEGMENT_HEADER_RECORDS) {
        throw new CorruptionError(file, offset, `segment header incomplete: ${step.tornDetail}`);
      }
      return { records, chainOut: chain, torn: { offset, detail: step.tornDetail }, endOffset: offset };
    }
    checkPlacement(context, step.record, records.length, chainIn);
    records.push(step.record);
    chain = step.chain;
    offset += step.record.sizeBytes;
  }
  if (records.length < SEGMENT_HEADER_RECORDS) {
    throw new CorruptionError(file, offset, 'segment lacks its crc and metadata records');
  }
  return { records, chainOut: chain, endOffset: offset };
}

function checkPlacement(context: ScanContext, record: RawRecord, position: number, chainIn: number | undefined): void {
  const { file } = context;
  if (position === 0) {
    if (record.type !== 'crc') throw new CorruptionError(file, record.offset, 'segment does not start with a crc record');
    if (chainIn !== undefined && record.crc !== chainIn) {
      throw new CorruptionError(file, record.offset,
        `crc chain broken: previous segment ends at ${hex(chainIn)}, this one continues from ${hex(record.crc)}`);
    }
  } else if (record.type === 'crc') {
    throw new CorruptionError(file, record.offset, 'crc record in the middle of a segment');
  }
  if (position === 1 && record.type !== 'metadata') {
    throw new CorruptionError(file, record.offset, 'second record of a segment is not metadata');
  }
}

/** A failure that is a torn tail if everything from `cleanFrom` to EOF is zero in the last segment. */
function tornOrCorrupt(context: ScanContext, offset: number, cleanFrom: number, detail: string): Step {
  const { bytes, isLast } = context;
  if (isLast && isZeroRange(bytes, Math.min(cleanFrom, bytes.length), bytes.length)) return { tornDetail: detail };
  const where = isLast ? ' followed by non-zero data' : ' in a non-last segment';
  throw new CorruptionError(context.file, offset, detail + where);
}

function scanRecord(context: ScanContext, offset: number, chain: number): Step {
  const { bytes, file } = context;
  if (bytes.length - offset < HEADER_BYTES) {
    return tornOrCorrupt(context, offset, bytes.length, 'incomplete record header');
  }
  if (isZeroRange(bytes, offset, offset + HEADER_BYTES)) {
    return tornOrCorrupt(context, offset, offset, 'zero-filled record header');
  }
  const header = readHeader(bytes, offset);
  if (!header.headerCrcOk) return tornOrCorrupt(context, offset, offset + HEADER_BYTES, 'header checksum mismatch');
  const type = recordTypeName(header.type);
  if (type === undefined) throw new CorruptionError(file, offset, `unknown record type ${header.type}`);
  if (header.payloadBytes > RECORD_PAYLOAD_BYTES_MAX) {
    throw new CorruptionError(file, offset, `record length ${header.payloadBytes} exceeds the limit`);
  }
  if (header.reserved !== 0 || header.padBytes !== paddingFor(header.payloadBytes)) {
    throw new CorruptionError(file, offset, 'bad padding or reserved header field');
  }
  const sizeBytes = recordBytes(header.payloadBytes);
  if (offset + sizeBytes > bytes.length) {
    return tornOrCorrupt(context, offset, bytes.length, 'record runs past end of file');
  }
  const payloadStart = offset + HEADER_BYTES;
  const payload = bytes.subarray(payloadStart, payloadStart + header.payloadBytes);
  let chainOut = header.crc;
  if (header.type === RecordType.crc) {
    if (header.payloadBytes !== 0) throw new CorruptionError(file, offset, 'crc record has a payload');
  } else {
    chainOut = crc32c(payload, chain);
    if (chainOut !== header.crc) {
      return tornOrCorrupt(context, offset, offset + sizeBytes, 'record checksum mismatch');
    }
  }
  if (!isZeroRange(bytes, payloadStart + header.payloadBytes, offset + sizeBytes)) {
    throw new CorruptionError(file, offset, 'non-zero record padding');
  }
  return { record: { offset, type, payload, crc: header.crc, sizeBytes }, chain: chainOut };
}

function hex(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}
