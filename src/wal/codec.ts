/**
 * Payload encodings of WAL records (little-endian; docs/formats/wal.md). Index and term are stored as
 * u64 and must decode to safe integers; vote and member ids are full 64-bit bigints.
 */
import { assert, assertSafeInteger } from '../base/assert.js';
import type { ConfState, Entry, EntryType, HardState, NodeId } from '../raft/types.js';
import { RecordType, type PayloadWriter } from './record.js';
import type { WalSnapshotMarker } from './types.js';

const TWO_POW_32 = 0x1_0000_0000;
const ENTRY_PREFIX_BYTES = 20;
const HARD_STATE_BYTES = 24;
const MARKER_FIXED_BYTES = 17;
const ENTRY_TYPE_MAX = 2;

/** Thrown by decoders on a payload that passed its checksum but is malformed; the reader wraps it. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

function writeU64(target: Buffer, offset: number, value: number): void {
  assertSafeInteger(value, 'u64 field');
  assert(value >= 0, 'u64 field is non-negative');
  target.writeUInt32LE(value % TWO_POW_32, offset);
  target.writeUInt32LE(Math.floor(value / TWO_POW_32), offset + 4);
}

function readU64(source: Buffer, offset: number, what: string): number {
  const value = source.readUInt32LE(offset + 4) * TWO_POW_32 + source.readUInt32LE(offset);
  if (!Number.isSafeInteger(value)) throw new PayloadError(`${what} is not a safe integer`);
  return value;
}

/** A crc record payload (empty; the header's crc field carries the chain). */
export function crcPayload(): PayloadWriter {
  return { type: RecordType.crc, sizeBytes: 0, write: () => undefined };
}

/** A metadata record payload (the bytes as given). */
export function metadataPayload(metadata: Uint8Array): PayloadWriter {
  return { type: RecordType.metadata, sizeBytes: metadata.length, write: (t, o) => t.set(metadata, o) };
}

/** An entry record payload. Asserts index and term are non-negative safe integers when written. */
export function entryPayload(entry: Entry): PayloadWriter {
  return {
    type: RecordType.entry,
    sizeBytes: ENTRY_PREFIX_BYTES + entry.data.length,
    write(target, offset) {
      writeU64(target, offset, entry.term);
      writeU64(target, offset + 8, entry.index);
      target.writeUInt32LE(entry.type, offset + 16);
      target.set(entry.data, offset + ENTRY_PREFIX_BYTES);
    },
  };
}

/** A hardState record payload. Asserts term and commit are non-negative safe integers when written. */
export function hardStatePayload(hardState: HardState): PayloadWriter {
  return {
    type: RecordType.hardState,
    sizeBytes: HARD_STATE_BYTES,
    write(target, offset) {
      writeU64(target, offset, hardState.term);
      target.writeBigUInt64LE(BigInt.asUintN(64, hardState.vote), offset + 8);
      writeU64(target, offset + 16, hardState.commit);
    },
  };
}

/** A snapshot marker record payload (confState optional). */
export function snapshotPayload(marker: WalSnapshotMarker): PayloadWriter {
  const conf = marker.confState;
  const lists = conf === undefined ? [] : confLists(conf);
  const listBytes = lists.reduce((sum, list) => sum + 4 + 8 * list.length, 0);
  return {
    type: RecordType.snapshot,
    sizeBytes: MARKER_FIXED_BYTES + (conf === undefined ? 0 : 1 + listBytes),
    write(target, offset) {
      writeU64(target, offset, marker.index);
      writeU64(target, offset + 8, marker.term);
      target.writeUInt8(conf === undefined ? 0 : 1, offset + 16);
      if (conf === undefined) return;
      let at = offset + MARKER_FIXED_BYTES;
      target.writeUInt8(conf.autoLeave ? 1 : 0, at);
      at += 1;
      for (const list of lists) {
        target.writeUInt32LE(list.length, at);
        at += 4;
        for (const id of list) {
          target.writeBigUInt64LE(BigInt.asUintN(64, id), at);
          at += 8;
        }
      }
    },
  };
}

function confLists(conf: ConfState): NodeId[][] {
  return [conf.voters, conf.learners, conf.votersOutgoing, conf.learnersNext];
}

/** Decodes an entry payload. Throws PayloadError if malformed. */
export function decodeEntry(payload: Buffer): Entry {
  if (payload.length < ENTRY_PREFIX_BYTES) throw new PayloadError('entry payload too short');
  const type = payload.readUInt32LE(16);
  if (type > ENTRY_TYPE_MAX) throw new PayloadError(`unknown entry type ${type}`);
  return {
    term: readU64(payload, 0, 'entry term'),
    index: readU64(payload, 8, 'entry index'),
    type: type as EntryType,
    data: new Uint8Array(payload.subarray(ENTRY_PREFIX_BYTES)),
  };
}

/** Decodes a hardState payload. Throws PayloadError if malformed. */
export function decodeHardState(payload: Buffer): HardState {
  if (payload.length !== HARD_STATE_BYTES) throw new PayloadError('hardState payload has the wrong size');
  return {
    term: readU64(payload, 0, 'hardState term'),
    vote: payload.readBigUInt64LE(8),
    commit: readU64(payload, 16, 'hardState commit'),
  };
}

/** Decodes a snapshot marker payload. Throws PayloadError if malformed. */
export function decodeSnapshot(payload: Buffer): WalSnapshotMarker {
  if (payload.length < MARKER_FIXED_BYTES) throw new PayloadError('snapshot payload too short');
  const index = readU64(payload, 0, 'snapshot index');
  const term = readU64(payload, 8, 'snapshot term');
  const hasConf = payload.readUInt8(16);
  if (hasConf === 0) {
    if (payload.length !== MARKER_FIXED_BYTES) throw new PayloadError('snapshot payload has trailing bytes');
    return { index, term };
  }
  if (hasConf !== 1) throw new PayloadError('bad confState flag');
  return { index, term, confState: decodeConfState(payload, MARKER_FIXED_BYTES) };
}

function decodeConfState(payload: Buffer, start: number): ConfState {
  let at = start;
  const need = (bytes: number): void => {
    if (at + bytes > payload.length) throw new PayloadError('confState runs past the payload');
  };
  need(1);
  const autoLeaveByte = payload.readUInt8(at);
  if (autoLeaveByte > 1) throw new PayloadError('bad autoLeave flag');
  at += 1;
  const lists: NodeId[][] = [];
  for (let n = 0; n < 4; n++) {
    need(4);
    const count = payload.readUInt32LE(at);
    at += 4;
    need(8 * count);
    const ids: NodeId[] = [];
    for (let i = 0; i < count; i++, at += 8) ids.push(payload.readBigUInt64LE(at));
    lists.push(ids);
  }
  if (at !== payload.length) throw new PayloadError('confState has trailing bytes');
  const [voters = [], learners = [], votersOutgoing = [], learnersNext = []] = lists;
  return { voters, learners, votersOutgoing, learnersNext, autoLeave: autoLeaveByte === 1 };
}
