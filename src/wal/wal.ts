/**
 * The write-ahead log: the Raft log and HardState on disk, in segment files of checksummed records
 * (docs/formats/wal.md). The server's Ready loop calls save() once per Ready; a write is durable once
 * save(..., mustSync=true) resolves. At most one save/saveSnapshot may be in flight (asserted).
 * After any I/O failure the instance refuses further writes: reopen to recover.
 */
import { fdatasyncSync, writeSync } from 'node:fs';
import { mkdir, open, rm, truncate, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { assert, assertSafeInteger } from '../base/assert.js';
import { Limits } from '../base/limits.js';
import type { Entry, HardState } from '../raft/types.js';
import { crashPoint, noteWalSynced } from '../platform/crash-points.js';
import { crcPayload, entryPayload, hardStatePayload, metadataPayload, snapshotPayload } from './codec.js';
import { readDir } from './read.js';
import { encodeRecords, type PayloadWriter } from './record.js';
import {
  fsyncDir, listSegments, removeTempFiles, segmentName, writeFileDurable, type SegmentFile,
} from './segments.js';
import type { WalOptions, WalReadResult, WalSnapshotMarker } from './types.js';

export { readWalRecords } from './read.js';
export type { WalOptions, WalReadResult, WalRecordBody, WalRecordInfo, WalSnapshotMarker } from './types.js';

/** Smallest accepted segmentSizeBytes (tests use small segments; zero would cut on every save). */
const SEGMENT_SIZE_BYTES_MIN = 64;

interface Tail {
  handle: FileHandle;
  segments: SegmentFile[];
  sizeBytes: number;
  chain: number;
}

interface Durable {
  lastIndex: number;
  hardState: HardState;
  marker: WalSnapshotMarker;
}

/** Weight of the newest fsync in the moving average that picks blocking or thread-pool syncs. */
const SYNC_AVERAGE_WEIGHT = 0.2;

/** Whether the next fdatasync blocks the thread (see WalOptions.blockingSyncMaxMs). */
export function syncBlocks(averageMs: number, options: WalOptions): boolean {
  const maxMs = options.blockingSyncMaxMs ?? Limits.walBlockingSyncMaxMs;
  return maxMs > 0 && averageMs <= maxMs;
}

/** The moving average of fdatasync durations after one that took `durationMs`. */
export function nextSyncAverageMs(averageMs: number, durationMs: number): number {
  return averageMs + (durationMs - averageMs) * SYNC_AVERAGE_WEIGHT;
}

/**
 * An open WAL, appending to its last segment. Create with `Wal.create` or `Wal.open`; not reentrant:
 * callers await each save before the next (asserted).
 */
export class Wal {
  private busy = false;
  private closed = false;
  private failure: unknown = undefined;
  private unsyncedBytes = 0;
  /** Moving average of fdatasync durations (ms): picks blocking or thread-pool syncs. */
  private syncAverageMs = 0;

  private constructor(
    private readonly dir: string,
    private readonly metadata: Uint8Array,
    private readonly options: WalOptions,
    private tail: Tail,
    private state: Durable,
  ) {}

  /** True if `dir` holds at least one `.wal` segment. Throws CorruptionError on a badly named one. */
  static async exists(dir: string): Promise<boolean> {
    return (await listSegments(dir)).length > 0;
  }

  /**
   * Creates the WAL in `dir` (created if missing) with segment 0 holding `metadata`.
   * Throws Error if `dir` already has segments, and on I/O errors.
   */
  static async create(dir: string, metadata: Uint8Array, options: WalOptions = {}): Promise<Wal> {
    checkOptions(options);
    if (await Wal.exists(dir)) throw new Error(`wal: ${dir} already contains a WAL`);
    await mkdir(dir, { recursive: true });
    if (options.unsafeNoFsync !== true) await fsyncDir(dirname(dir));
    await removeTempFiles(dir);
    const marker: WalSnapshotMarker = { index: 0, term: 0 };
    const { bytes, chainOut } = encodeRecords([crcPayload(), metadataPayload(metadata), snapshotPayload(marker)], 0);
    const name = segmentName(0, 0);
    await writeFileDurable(dir, name, bytes, options.unsafeNoFsync === true);
    const handle = await open(join(dir, name), 'r+');
    noteWalSynced(join(dir, name), bytes.length);
    await preallocate(handle, options);
    const segments = [{ seq: 0, firstIndex: 0, name, path: join(dir, name) }];
    const tail: Tail = { handle, segments, sizeBytes: bytes.length, chain: chainOut };
    const state: Durable = { lastIndex: 0, hardState: { term: 0, vote: 0n, commit: 0 }, marker };
    return new Wal(dir, new Uint8Array(metadata), options, tail, state);
  }

  /**
   * Reads everything from the `snapshot` marker on, repairs a torn tail of the last segment (truncate +
   * fsync) and opens the last segment for append. Throws CorruptionError on corruption, Error if `dir`
   * has no WAL, and on I/O errors.
   */
  static async open(dir: string, snapshot: WalSnapshotMarker, options: WalOptions = {}):
  Promise<{ wal: Wal; read: WalReadResult }> {
    checkOptions(options);
    assertSafeInteger(snapshot.index, 'snapshot index');
    assertSafeInteger(snapshot.term, 'snapshot term');
    await removeTempFiles(dir).catch(() => undefined);
    const { scan, replay } = await readDir(dir, snapshot);
    const last = scan.segments.at(-1)!;
    if (scan.torn !== undefined) {
      await truncate(last.path, scan.lastSegmentGoodBytes);
      if (options.unsafeNoFsync !== true) await syncPath(last.path);
    }
    assert(replay.metadata !== undefined, 'every segment has metadata');
    const handle = await open(last.path, 'r+');
    noteWalSynced(last.path, scan.lastSegmentGoodBytes);
    await preallocate(handle, options);
    const tail: Tail = { handle, segments: scan.segments, sizeBytes: scan.lastSegmentGoodBytes, chain: scan.chainOut };
    const state: Durable = {
      lastIndex: replay.finalLastIndex(), hardState: replay.hardState, marker: replay.latestMarker,
    };
    const wal = new Wal(dir, replay.metadata, options, tail, state);
    let marker = replay.snapshot;
    if (replay.needsRequestedMarker()) {
      // The caller's state is ahead of the log (e.g. a snapshot from the leader was applied but the
      // process stopped before its marker was saved): record it so later entries follow without a gap.
      marker = { ...snapshot };
      await wal.saveSnapshot(marker);
    }
    const read: WalReadResult = {
      metadata: replay.metadata, hardState: replay.hardState, entries: replay.entries,
      snapshot: marker, repairedTornTail: scan.torn !== undefined,
    };
    return { wal, read };
  }

  /**
   * Appends `entries` then `hardState` (if given) in one write; fdatasyncs if `mustSync`. Entries must be
   * contiguous and may start at or below lastIndex+1 (overwriting a suffix). Cuts a new segment when the
   * current one reaches segmentSizeBytes. Throws AssertionError on misuse, and on I/O errors (after
   * which this Wal is unusable).
   */
  async save(hardState: HardState | undefined, entries: Entry[], mustSync: boolean): Promise<void> {
    this.enter();
    try {
      const items: PayloadWriter[] = [];
      let lastIndex = this.state.lastIndex;
      for (const entry of entries) {
        assertSafeInteger(entry.index, 'entry index');
        assertSafeInteger(entry.term, 'entry term');
        assert(entry.type >= 0 && entry.type <= 2, `bad entry type ${entry.type}`);
        assert(entry.index >= 1 && entry.index <= lastIndex + 1, `entry index ${entry.index} after ${lastIndex}`);
        if (items.length > 0) assert(entry.index === lastIndex + 1, 'entries in one save are contiguous');
        lastIndex = entry.index;
        items.push(entryPayload(entry));
      }
      if (hardState !== undefined) items.push(hardStatePayload(hardState));
      if (items.length > 0) await this.append(items);
      this.state.lastIndex = lastIndex;
      if (hardState !== undefined) this.state.hardState = { ...hardState };
      if (mustSync) await this.sync();
      if (this.tail.sizeBytes >= this.segmentSizeBytes()) await this.cut();
    } catch (error) {
      this.failure = error;
      throw error;
    } finally {
      this.busy = false;
    }
  }

  /** Appends a snapshot marker and fdatasyncs. Throws like save(). */
  async saveSnapshot(marker: WalSnapshotMarker): Promise<void> {
    this.enter();
    try {
      assertSafeInteger(marker.index, 'snapshot index');
      assertSafeInteger(marker.term, 'snapshot term');
      const copy: WalSnapshotMarker = { ...marker };
      await this.append([snapshotPayload(copy)]);
      this.state.marker = copy;
      this.state.lastIndex = Math.max(this.state.lastIndex, marker.index);
      await this.sync();
      if (this.tail.sizeBytes >= this.segmentSizeBytes()) await this.cut();
    } catch (error) {
      this.failure = error;
      throw error;
    } finally {
      this.busy = false;
    }
  }

  /**
   * Deletes segment files whose entries are all below `index` (never the last segment whose first index
   * is <= `index`, nor anything after it), oldest first. With `maxFiles` (etcd's --max-wals), only while
   * more than `maxFiles` files exist, and 0 means unlimited retention: nothing is deleted. Throws on I/O
   * errors.
   */
  async releaseTo(index: number, maxFiles?: number): Promise<void> {
    assertSafeInteger(index, 'release index');
    assert(!this.closed, 'wal is closed');
    assert(maxFiles === undefined || (Number.isSafeInteger(maxFiles) && maxFiles >= 0), `bad maxFiles ${maxFiles}`);
    if (maxFiles === 0) return;
    const segments = this.tail.segments;
    let keepFrom = 0;
    for (let i = 0; i < segments.length; i++) if (segments[i]!.firstIndex <= index) keepFrom = i;
    if (maxFiles !== undefined) keepFrom = Math.min(keepFrom, Math.max(0, segments.length - maxFiles));
    if (keepFrom === 0) return;
    const doomed = segments.slice(0, keepFrom);
    // Drop from the list first so a crash mid-way leaves only a shorter prefix (still a valid WAL).
    this.tail.segments = segments.slice(keepFrom);
    for (const segment of doomed) await rm(segment.path, { force: true });
    if (this.options.unsafeNoFsync !== true) await fsyncDir(this.dir);
  }

  /** Paths of the segment files, oldest first. */
  segments(): string[] {
    return this.tail.segments.map((segment) => segment.path);
  }

  /** Syncs pending writes (unless failed) and closes the file. Throws on I/O errors. */
  async close(): Promise<void> {
    assert(!this.busy, 'close() while a save is in flight');
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.failure === undefined && this.unsyncedBytes > 0) await this.sync();
    } finally {
      await this.tail.handle.close();
    }
  }

  private segmentSizeBytes(): number {
    return this.options.segmentSizeBytes ?? Limits.walSegmentBytes;
  }

  private enter(): void {
    assert(!this.closed, 'wal is closed');
    assert(!this.busy, 'at most one save/saveSnapshot in flight');
    if (this.failure !== undefined) throw new Error('wal: unusable after an earlier I/O failure', { cause: this.failure });
    this.busy = true;
  }

  private async append(items: PayloadWriter[]): Promise<void> {
    const { bytes, chainOut } = encodeRecords(items, this.tail.chain);
    const startMs = performance.now();
    let written = 0;
    while (written < bytes.length) {
      // A synchronous write: it only copies into the page cache (microseconds), and saves a thread-pool
      // round trip per Ready, which under CPU contention costs milliseconds of put latency.
      const bytesWritten = writeSync(this.tail.handle.fd, bytes, written, bytes.length - written,
        this.tail.sizeBytes + written);
      assert(bytesWritten > 0, 'write makes progress');
      written += bytesWritten;
    }
    this.options.onWrite?.(bytes.length, performance.now() - startMs);
    this.tail.sizeBytes += bytes.length;
    this.tail.chain = chainOut;
    this.unsyncedBytes += bytes.length;
  }

  /** fdatasync; on the main thread while recent fsyncs were fast (see syncBlocks). */
  private async sync(): Promise<void> {
    if (this.options.unsafeNoFsync === true || this.unsyncedBytes === 0) return;
    const startMs = performance.now();
    crashPoint('wal.before-sync');
    if (syncBlocks(this.syncAverageMs, this.options)) fdatasyncSync(this.tail.handle.fd);
    else await this.tail.handle.datasync();
    const durationMs = performance.now() - startMs;
    this.syncAverageMs = nextSyncAverageMs(this.syncAverageMs, durationMs);
    noteWalSynced(this.tail.segments.at(-1)!.path, this.tail.sizeBytes);
    crashPoint('wal.after-sync');
    this.options.onFsync?.(durationMs);
    this.unsyncedBytes = 0;
  }

  /** Finishes the current segment (fsynced) and starts the next with crc, metadata, state and marker. */
  private async cut(): Promise<void> {
    // A finished segment ends at its last record: only the last segment has preallocated space.
    await this.tail.handle.truncate(this.tail.sizeBytes);
    this.unsyncedBytes = Math.max(this.unsyncedBytes, 1);
    await this.sync();
    const previous = this.tail.segments.at(-1)!;
    const seq = previous.seq + 1;
    const firstIndex = this.state.lastIndex + 1;
    const items = [crcPayload(), metadataPayload(this.metadata), hardStatePayload(this.state.hardState),
      snapshotPayload(this.state.marker)];
    const { bytes, chainOut } = encodeRecords(items, this.tail.chain);
    const name = segmentName(seq, firstIndex);
    await writeFileDurable(this.dir, name, bytes, this.options.unsafeNoFsync === true);
    const handle = await open(join(this.dir, name), 'r+');
    noteWalSynced(join(this.dir, name), bytes.length);
    await preallocate(handle, this.options);
    await this.tail.handle.close();
    this.tail.handle = handle;
    this.tail.segments = [...this.tail.segments, { seq, firstIndex, name, path: join(this.dir, name) }];
    this.tail.sizeBytes = bytes.length;
    this.tail.chain = chainOut;
  }
}

/** Asserts the options are sane (a bad segment size is a programmer error). */
function checkOptions(options: WalOptions): void {
  const size = options.segmentSizeBytes ?? Limits.walSegmentBytes;
  assert(Number.isSafeInteger(size) && size >= SEGMENT_SIZE_BYTES_MIN, `bad segmentSizeBytes ${size}`);
  const blockingMaxMs = options.blockingSyncMaxMs ?? Limits.walBlockingSyncMaxMs;
  assert(Number.isFinite(blockingMaxMs) && blockingMaxMs >= 0, `bad blockingSyncMaxMs ${blockingMaxMs}`);
}

/**
 * Extends the open segment to the segment size (a sparse extension: its blocks read as zeros). Appends
 * then overwrite in place, so an fdatasync need not also commit a new file size through the
 * filesystem journal, which is what made every save cost two flushes (etcd preallocates its segments
 * for the same reason). Readers take zeros from a record boundary to the end of the last segment as
 * free space.
 */
async function preallocate(handle: FileHandle, options: WalOptions): Promise<void> {
  const targetBytes = options.segmentSizeBytes ?? Limits.walSegmentBytes;
  if ((await handle.stat()).size < targetBytes) await handle.truncate(targetBytes);
}

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
