/** Public data types of the WAL (re-exported by wal.ts, which is the module others import). */
import type { ConfState, Entry, HardState } from '../raft/types.js';

/** Records that the raft log up to `index` (at `term`) is covered by a snapshot held elsewhere. */
export interface WalSnapshotMarker {
  index: number;
  term: number;
  confState?: ConfState | undefined;
}

export interface WalReadResult {
  /** Opaque bytes given to create() (the server stores member/cluster ids). */
  metadata: Uint8Array;
  /** Last saved HardState ({term:0, vote:0n, commit:0} if none). */
  hardState: HardState;
  /** Entries with index > the requested marker's index; later writes override earlier ones at an index. */
  entries: Entry[];
  /** Latest marker whose index is <= the requested one ({index:0, term:0} initially). */
  snapshot: WalSnapshotMarker;
  /** True if a torn or zero-filled tail of the last segment was truncated. */
  repairedTornTail: boolean;
}

export interface WalOptions {
  /** Cut a new segment once the current one reaches this size (default Limits.walSegmentBytes). */
  segmentSizeBytes?: number;
  /** Called after each fdatasync with its duration (etcd_disk_wal_fsync_duration_seconds). */
  onFsync?: (durationMs: number) => void;
  /** Called after each write with its size and duration. */
  onWrite?: (bytes: number, durationMs: number) => void;
  /** --unsafe-no-fsync: never fsync (data may be lost on power failure). */
  unsafeNoFsync?: boolean;
  /**
   * fdatasync blocks the calling thread while the moving average of recent fsyncs is at most this many
   * ms (default Limits.walBlockingSyncMaxMs; 0 = always on the thread pool). A blocking call skips two
   * thread hand-offs, which on a loaded machine cost more CPU and latency than a fast fsync itself; a
   * slow disk moves it back to the thread pool so the event loop never stalls for long.
   */
  blockingSyncMaxMs?: number;
}

/** One decoded record, as readWalRecords() reports it. */
export type WalRecordBody =
  | { type: 'crc'; carriedCrc: number }
  | { type: 'metadata'; metadata: Uint8Array }
  | { type: 'entry'; entry: Entry }
  | { type: 'hardState'; hardState: HardState }
  | { type: 'snapshot'; snapshot: WalSnapshotMarker };

/** A record with its location; `type: 'tornTail'` marks an unrepaired torn tail (reading stops there). */
export type WalRecordInfo =
  | (WalRecordBody & { file: string; offset: number; sizeBytes: number })
  | { type: 'tornTail'; file: string; offset: number; sizeBytes: number; detail: string };
