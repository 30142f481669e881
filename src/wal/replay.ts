/**
 * Replays decoded records into the state open() returns: metadata, last HardState, the entry log after
 * the requested snapshot (later entries override earlier ones at the same index, as raft truncates a
 * conflicting suffix) and the snapshot markers.
 */
import { assert, unreachable } from '../base/assert.js';
import { CorruptionError } from '../base/errors.js';
import type { Entry, HardState } from '../raft/types.js';
import { PayloadError, decodeEntry, decodeHardState, decodeSnapshot } from './codec.js';
import type { RawRecord } from './scan.js';
import type { WalRecordBody, WalSnapshotMarker } from './types.js';

/** Decodes a checked raw record. Throws CorruptionError if its payload is malformed. */
export function decodeRecord(file: string, record: RawRecord): WalRecordBody {
  try {
    switch (record.type) {
      case 'crc': return { type: 'crc', carriedCrc: record.crc };
      case 'metadata': return { type: 'metadata', metadata: new Uint8Array(record.payload) };
      case 'entry': return { type: 'entry', entry: decodeEntry(record.payload) };
      case 'hardState': return { type: 'hardState', hardState: decodeHardState(record.payload) };
      case 'snapshot': return { type: 'snapshot', snapshot: decodeSnapshot(record.payload) };
      default: return unreachable(record.type, 'record type');
    }
  } catch (error) {
    if (error instanceof PayloadError) throw new CorruptionError(file, record.offset, error.message);
    throw error;
  }
}

/** Accumulates the replayed state. Feed records in on-disk order with `apply`. */
export class Replay {
  metadata: Uint8Array | undefined = undefined;
  hardState: HardState = { term: 0, vote: 0n, commit: 0 };
  /** Entries with index > requested.index. Invariant: contiguous, entries[i].index === firstIndex + i. */
  readonly entries: Entry[] = [];
  /** Latest marker with index <= requested.index. */
  snapshot: WalSnapshotMarker = { index: 0, term: 0 };
  /** Latest marker of any index (rewritten at the start of each new segment). */
  latestMarker: WalSnapshotMarker = { index: 0, term: 0 };
  /** Index of the last entry written (or covered by a marker), as raft's log sees it. */
  lastIndex: number | undefined = undefined;

  constructor(private readonly requested: WalSnapshotMarker) {}

  /** Applies one record. Throws CorruptionError for metadata mismatches, gaps and marker conflicts. */
  apply(file: string, offset: number, body: WalRecordBody): void {
    switch (body.type) {
      case 'crc': return;
      case 'metadata': return this.applyMetadata(file, offset, body.metadata);
      case 'entry': return this.applyEntry(file, offset, body.entry);
      case 'hardState': this.hardState = body.hardState; return;
      case 'snapshot': return this.applyMarker(file, offset, body.snapshot);
      default: return unreachable(body, 'record body');
    }
  }

  /** True if the WAL's log does not reach the requested index (it needs a marker to continue from it). */
  needsRequestedMarker(): boolean {
    return this.requested.index > (this.lastIndex ?? this.latestMarker.index);
  }

  /** The index raft's log continues from after the replay. */
  finalLastIndex(): number {
    const last = this.entries.at(-1);
    return last !== undefined ? last.index : this.requested.index;
  }

  private applyMetadata(file: string, offset: number, metadata: Uint8Array): void {
    if (this.metadata === undefined) {
      this.metadata = metadata;
    } else if (Buffer.compare(this.metadata, metadata) !== 0) {
      throw new CorruptionError(file, offset, 'metadata differs from the first segment');
    }
  }

  private applyEntry(file: string, offset: number, entry: Entry): void {
    if (this.lastIndex !== undefined && entry.index > this.lastIndex + 1) {
      throw new CorruptionError(file, offset, `entry index ${entry.index} leaves a gap after ${this.lastIndex}`);
    }
    this.lastIndex = entry.index;
    if (entry.index <= this.requested.index) {
      this.entries.length = 0;
      return;
    }
    const first = this.entries[0];
    if (first === undefined) {
      if (entry.index !== this.requested.index + 1) {
        throw new CorruptionError(file, offset,
          `entry index ${entry.index} does not follow the requested snapshot index ${this.requested.index}`);
      }
    } else {
      this.entries.length = entry.index - first.index;
    }
    this.entries.push(entry);
    assert(this.entries.at(-1)!.index - this.entries[0]!.index === this.entries.length - 1, 'entries contiguous');
  }

  private applyMarker(file: string, offset: number, marker: WalSnapshotMarker): void {
    this.latestMarker = marker;
    // A marker moves the log forward (a snapshot received from the leader) only once entries have been
    // seen: the marker copy at the start of the first segment read says nothing about its entries.
    if (this.lastIndex !== undefined) this.lastIndex = Math.max(this.lastIndex, marker.index);
    if (marker.index > this.requested.index) return;
    if (marker.index === this.requested.index && marker.term !== this.requested.term) {
      throw new CorruptionError(file, offset,
        `snapshot marker at index ${marker.index} has term ${marker.term}, requested term ${this.requested.term}`);
    }
    this.snapshot = marker;
  }
}
