import { mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { crashPoint } from '../platform/crash-points.js';
import { assert } from '../base/assert.js';
import { Limits } from '../base/limits.js';
import { type BucketName } from './buckets.js';
import { bytesToBinaryString } from './bytes.js';
import { defragTempPath, removeClosedDefragLock, removeDefragLeftovers } from './defrag-files.js';
import {
  fsyncPath, lmdbInUseBytes, LMDB_KEY_BYTES_MAX, MAP_SIZE_BYTES_DEFAULT, openLmdbEnv, type LmdbDbi, type LmdbEnv,
} from './lmdb-env.js';
import { DELETED, PendingBatch } from './pending-batch.js';
import { collectOverlay, mergeRange, type CommittedRange } from './range-merge.js';

/** Options for Backend.open; every field has etcd's default. */
export interface BackendOptions {
  /** Commit once a batch holds this many writes (etcd's batch limit). */
  batchLimit?: number;
  /** Commit this long after the first write of a batch (etcd's batch interval). */
  batchIntervalMs?: number;
  /** LMDB map size (virtual address space; the store cannot grow past it). */
  mapSizeBytes?: number;
  /** Called after every commit with its duration (etcd_disk_backend_commit_duration_seconds). */
  onCommit?: (durationMs: number) => void;
}

/**
 * etcd-style batched key-value backend over one LMDB file with one named database per etcd bucket.
 *
 * Writes go into an in-memory pending batch; reads overlay the pending batch and the batch being
 * committed (if any) on committed LMDB data, so a read sees every write made so far. A batch commits
 * as one LMDB transaction (fsynced, on lmdb's write thread) when it reaches `batchLimit` writes,
 * `batchIntervalMs` after its first write, on forceCommit(), defrag() or close(). Automatic commits
 * never run synchronously inside a write call and wait while holdCommits() holds, so a caller that
 * applies one raft entry in one synchronous turn (or under a hold) commits it atomically together
 * with its consistent index.
 *
 * Durability comes from the WAL; a commit failure is fatal (every later call throws it).
 */
export class Backend {
  private env: LmdbEnv;
  private pending = new PendingBatch();
  private committing: PendingBatch | undefined = undefined;
  private commitChain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined = undefined;
  private immediate: NodeJS.Immediate | undefined = undefined;
  private holdCount = 0;
  private commitWanted = false;
  private failure: unknown = undefined;
  private closed = false;
  private closing: Promise<void> | undefined = undefined;
  private readonly batchLimit: number;
  private readonly batchIntervalMs: number;
  private readonly mapSizeBytes: number;
  private readonly onCommit: ((durationMs: number) => void) | undefined;
  private defragCount = 0;
  /** The data file's size, refreshed after every commit and defrag (the only times it changes). */
  private fileSizeBytes = 0;
  /** Open read views (openReadView) and the environment each reads; defrag and close wait or end them. */
  private readonly views = new Map<() => void, LmdbEnv>();
  private viewWaiters: Array<() => void> = [];

  private constructor(readonly path: string, options: BackendOptions) {
    this.batchLimit = options.batchLimit ?? Limits.backendBatchLimit;
    this.batchIntervalMs = options.batchIntervalMs ?? Limits.backendBatchIntervalMs;
    this.mapSizeBytes = options.mapSizeBytes ?? MAP_SIZE_BYTES_DEFAULT;
    this.onCommit = options.onCommit;
    assert(Number.isSafeInteger(this.batchLimit) && this.batchLimit > 0, 'batchLimit must be positive');
    assert(this.batchIntervalMs >= 0, 'batchIntervalMs must not be negative');
    removeDefragLeftovers(path);
    this.env = openLmdbEnv(path, this.mapSizeBytes);
    this.refreshFileSize();
  }

  /**
   * Opens or creates the backend file at `path` (its directory is created). Leftovers of an
   * interrupted defrag are removed first; the original file is then intact. Throws lmdb/fs errors.
   */
  static async open(path: string, options: BackendOptions = {}): Promise<Backend> {
    mkdirSync(dirname(path), { recursive: true });
    return new Backend(path, options);
  }

  /** Stages `key` = `value` in `bucket`. Throws AssertionError on an empty or too long key. */
  put(bucket: BucketName, key: Uint8Array, value: Uint8Array): void {
    this.checkWritable(key);
    this.pending.set(bucket, bytesToBinaryString(key), value);
    this.afterWrite();
  }

  /** Stages removal of `key` from `bucket` (a no-op at commit if absent). */
  delete(bucket: BucketName, key: Uint8Array): void {
    this.checkWritable(key);
    this.pending.set(bucket, bytesToBinaryString(key), DELETED);
    this.afterWrite();
  }

  /**
   * The value of `key`, including uncommitted writes; undefined when absent. The result may be the
   * staged buffer itself: callers must not mutate it.
   */
  get(bucket: BucketName, key: Uint8Array): Uint8Array | undefined {
    this.checkUsable();
    const committing = this.committing;
    if (!this.pending.isEmpty(bucket) || (committing !== undefined && !committing.isEmpty(bucket))) {
      const text = bytesToBinaryString(key);
      let staged = this.pending.get(bucket, text);
      if (staged === undefined && committing !== undefined) staged = committing.get(bucket, text);
      if (staged !== undefined) return staged === DELETED ? undefined : staged;
    }
    if (key.length === 0 || key.length > LMDB_KEY_BYTES_MAX) return undefined;
    return this.dbi(bucket).get(key);
  }

  /**
   * Ordered [key, value] pairs with start <= key < end (`end` undefined: to the end of the bucket),
   * uncommitted writes included, at most `limit` (0/undefined: all). Consume it before the next
   * await: the iterable must not outlive the current turn, nor be interleaved with writes.
   */
  range(bucket: BucketName, start: Uint8Array, end?: Uint8Array, limit?: number): Iterable<[Uint8Array, Uint8Array]> {
    this.checkUsable();
    const overlays = this.committing === undefined ? [this.pending] : [this.pending, this.committing];
    const startText = bytesToBinaryString(start);
    const endText = end === undefined ? undefined : bytesToBinaryString(end);
    const overlay = collectOverlay(overlays, bucket, startText, endText);
    return mergeRange(this.committedRange(bucket, start, end), overlay, limit);
  }

  /** Commits everything written so far; resolves once it is durable in LMDB. Throws a commit failure. */
  forceCommit(): Promise<void> {
    this.checkUsable();
    return this.enqueue(() => this.commitOnce());
  }

  /**
   * Defers automatic commits until the returned release function is called (call it exactly once).
   * forceCommit() is not deferred.
   */
  holdCommits(): () => void {
    this.holdCount++;
    let released = false;
    return () => {
      assert(!released, 'commit hold released twice');
      released = true;
      this.holdCount--;
      if (this.holdCount === 0 && this.commitWanted) this.scheduleImmediateCommit();
    };
  }

  /**
   * Size of the data file in bytes (Status.dbSize). Cached: the quota check asks on every write, and
   * the file only grows when a batch commits or shrinks when a defrag replaces it.
   */
  sizeBytes(): number {
    return this.fileSizeBytes;
  }

  private refreshFileSize(): void {
    this.fileSizeBytes = statSync(this.path).size;
  }

  /** Bytes of LMDB pages in use (Status.dbSizeInUse); free pages are excluded. */
  sizeInUseBytes(): number {
    this.checkUsable();
    return lmdbInUseBytes(this.env);
  }

  /**
   * Rewrites the file compactly: commits, copies live pages to a temp file, fsyncs it, switches to
   * it, atomically renames it over the old file and fsyncs the directory. A crash at any point
   * leaves either the old or the new complete file (leftovers are removed on open). Writes during
   * defrag stay pending; reads keep working. Throws fs/lmdb errors.
   */
  defrag(): Promise<void> {
    this.checkUsable();
    return this.enqueue(() => this.defragOnce());
  }

  /**
   * Commits pending writes, then writes a consistent, compacted copy of the committed database to
   * `path` (fsynced): the image a leader streams to a follower that needs a snapshot. Throws fs/lmdb errors.
   */
  copyTo(path: string): Promise<void> {
    this.checkUsable();
    return this.enqueue(async () => {
      await this.commitOnce();
      await this.env.root.backup(path, true);
      fsyncPath(path);
    });
  }

  /**
   * Commits pending writes, then opens a consistent read-only view of the committed data (an LMDB read
   * transaction): later writes and commits do not show in it. Close it soon (it pins old pages, and a
   * defrag waits for it); close() of the backend ends it. Throws a commit failure.
   */
  async openReadView(): Promise<BackendReadView> {
    await this.forceCommit();
    this.checkUsable();
    const env = this.env;
    const txn = env.root.useReadTransaction();
    let open = true;
    const close = (): void => {
      if (!open) return;
      open = false;
      txn.done();
      this.views.delete(close);
      for (const wake of this.viewWaiters.splice(0)) wake();
    };
    this.views.set(close, env);
    const dbiOf = (bucket: BucketName): LmdbDbi => {
      assert(open, 'backend read view is closed');
      const dbi = env.dbis.get(bucket);
      assert(dbi !== undefined, `unknown bucket ${bucket}`);
      return dbi;
    };
    return {
      readAfter: (bucket, after, maxBytes, maxEntries) => readEntries(dbiOf(bucket), txn, after, maxBytes, maxEntries),
      sizesAfter: (bucket, after, maxBytes, maxEntries) => readSizes(dbiOf(bucket), txn, after, maxBytes, maxEntries),
      close,
    };
  }

  /**
   * Ends open read views, commits pending writes and closes the file. Idempotent: later calls return
   * the first call's promise. Throws a commit failure.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    // Views end first: a defrag ahead of the final commit on the chain may be waiting for them.
    this.endViews();
    if (this.failure === undefined) await this.enqueue(() => this.commitOnce());
    this.endViews();
    this.closed = true;
    this.clearTimers();
    await this.env.root.close();
  }

  private endViews(): void {
    for (const closeView of [...this.views.keys()]) closeView();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.commitChain.then(step);
    this.commitChain = next.catch(() => undefined);
    return next;
  }

  private async commitOnce(): Promise<void> {
    this.clearTimers();
    this.commitWanted = false;
    if (this.failure !== undefined) throw this.failure;
    if (this.pending.opCount === 0) return;
    const batch = this.pending;
    batch.freeze();
    this.committing = batch;
    this.pending = new PendingBatch();
    const startMs = performance.now();
    try {
      crashPoint('backend.before-commit');
      await this.writeBatch(batch);
      crashPoint('backend.after-commit');
    } catch (error) {
      this.failure = error;
      throw error;
    }
    this.env.root.resetReadTxn();
    this.committing = undefined;
    this.refreshFileSize();
    this.onCommit?.(performance.now() - startMs);
  }

  private writeBatch(batch: PendingBatch): Promise<unknown> {
    const { root } = this.env;
    // Crash points inside the LMDB write transaction (before it commits): a commit in flight is lost.
    const midOp = batch.opCount >> 1;
    let ops = 0;
    let compactionSeen = false;
    return root.batch(() => {
      batch.forEach((bucket, text, value) => {
        if (ops++ === midOp) crashPoint('backend.mid-commit');
        if (!compactionSeen && bucket === 'key' && value === DELETED) {
          compactionSeen = true; // only compaction deletes from the key bucket
          crashPoint('backend.compaction-mid-commit');
        }
        const key = Buffer.from(text, 'latin1');
        if (value === DELETED) void this.dbi(bucket).remove(key);
        else void this.dbi(bucket).put(key, value);
      });
    });
  }

  private async defragOnce(): Promise<void> {
    await this.commitOnce();
    const temp = defragTempPath(this.path, ++this.defragCount);
    await this.env.root.backup(temp, true);
    fsyncPath(temp);
    crashPoint('backend.defrag-after-copy');
    const old = this.env;
    // Reads switch to the compacted copy at once (it holds everything committed; writes are held). It
    // is opened at the temp path, so it gets its own lock file: opening `path` while the old env is
    // open would make lmdb-js reuse the old env (it matches envs by lock file), see 0011-defrag-env-swap.
    this.env = openLmdbEnv(temp, this.mapSizeBytes);
    try {
      while ([...this.views.values()].includes(old)) await new Promise<void>((wake) => this.viewWaiters.push(wake));
      await old.root.close();
      crashPoint('backend.defrag-before-rename');
      renameSync(temp, this.path);
      fsyncPath(dirname(this.path));
    } catch (error) {
      // Commits now go to the temp file, which open() would delete: stop instead of losing them.
      this.failure = error;
      throw error;
    }
    removeClosedDefragLock(this.path, old.path);
    this.refreshFileSize();
    crashPoint('backend.defrag-after-rename');
  }

  private afterWrite(): void {
    if (this.pending.opCount >= this.batchLimit) {
      this.requestCommit(true);
    } else if (this.timer === undefined && this.immediate === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.requestCommit(false);
      }, this.batchIntervalMs);
      this.timer.unref();
    }
  }

  private requestCommit(urgent: boolean): void {
    if (this.holdCount > 0) {
      this.commitWanted = true;
      return;
    }
    if (urgent) this.scheduleImmediateCommit();
    else this.autoCommit();
  }

  private scheduleImmediateCommit(): void {
    if (this.immediate !== undefined) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      if (this.holdCount > 0) this.commitWanted = true;
      else this.autoCommit();
    });
  }

  private autoCommit(): void {
    if (this.closed || this.pending.opCount === 0) return;
    // A failed automatic commit is recorded in `failure` and rethrown by the next call.
    this.enqueue(() => this.commitOnce()).catch(() => undefined);
  }

  private clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private committedRange(bucket: BucketName, start: Uint8Array, end: Uint8Array | undefined): CommittedRange {
    const dbi = this.dbi(bucket);
    const from = start.length === 0 ? Buffer.alloc(1) : start;
    const options = end === undefined ? { start: from } : { start: from, end };
    if (end !== undefined && Buffer.compare(from, end) >= 0) return [];
    return dbi.getRange(options).map((entry): [Uint8Array, Uint8Array] => [entry.key, entry.value]);
  }

  private dbi(bucket: BucketName): LmdbDbi {
    const dbi = this.env.dbis.get(bucket);
    assert(dbi !== undefined, `unknown bucket ${bucket}`);
    return dbi;
  }

  private checkUsable(): void {
    assert(!this.closed, 'backend is closed');
    if (this.failure !== undefined) throw this.failure;
  }

  private checkWritable(key: Uint8Array): void {
    this.checkUsable();
    assert(key.length > 0, 'backend keys must not be empty');
    assert(key.length <= LMDB_KEY_BYTES_MAX, `backend key longer than ${LMDB_KEY_BYTES_MAX} bytes`);
  }
}

/** A consistent read-only view of a backend's committed data (Backend.openReadView). */
export interface BackendReadView {
  /**
   * Copies of the [key, value] pairs of `bucket` with key > `after` (undefined: from the first), in key
   * order, stopping once `maxEntries` or about `maxBytes` are collected (at least one pair while any
   * remain). Throws
   * AssertionError once the view is closed.
   */
  readAfter(bucket: BucketName, after: Uint8Array | undefined, maxBytes: number,
    maxEntries: number): Array<[Uint8Array, Uint8Array]>;
  /** Like readAfter, but each value's size in bytes instead of a copy of it (no allocation per value). */
  sizesAfter(bucket: BucketName, after: Uint8Array | undefined, maxBytes: number,
    maxEntries: number): Array<[Uint8Array, number]>;
  /** Ends the view (idempotent). */
  close(): void;
}

type RangeOptions = Parameters<LmdbDbi['getRange']>[0];
type ReadTxn = ReturnType<LmdbEnv['root']['useReadTransaction']>;

function viewRange(txn: ReadTxn, after: Uint8Array | undefined, values: boolean): RangeOptions {
  const from = after === undefined ? {} : { start: after, exclusiveStart: true };
  return { ...from, values, transaction: txn } as unknown as RangeOptions;
}

/** One read step of a view: [key, value] copies after `after`, within the bounds. */
function readEntries(dbi: LmdbDbi, txn: ReadTxn, after: Uint8Array | undefined, maxBytes: number,
  maxEntries: number): Array<[Uint8Array, Uint8Array]> {
  const out: Array<[Uint8Array, Uint8Array]> = [];
  let bytes = 0;
  for (const { key, value } of dbi.getRange(viewRange(txn, after, true))) {
    // lmdb returns binary values as fresh copies: no second copy here.
    out.push([new Uint8Array(key), value]);
    bytes += key.length + value.length;
    if (bytes >= maxBytes || out.length >= maxEntries) break;
  }
  return out;
}

/**
 * One read step of a view: [key copy, value size] after `after`, within the bounds: a keys-only cursor
 * plus getBinaryFast, which copies into lmdb's reusable buffer, so no garbage per value.
 */
function readSizes(dbi: LmdbDbi, txn: ReadTxn, after: Uint8Array | undefined, maxBytes: number,
  maxEntries: number): Array<[Uint8Array, number]> {
  const sizeOf = dbi.getBinaryFast as (key: Uint8Array, options: { transaction: unknown }) => Uint8Array | undefined;
  const out: Array<[Uint8Array, number]> = [];
  let bytes = 0;
  for (const key of dbi.getKeys(viewRange(txn, after, false))) {
    const size = sizeOf.call(dbi, key, { transaction: txn })?.length ?? 0;
    out.push([new Uint8Array(key), size]);
    bytes += key.length + size;
    if (bytes >= maxBytes || out.length >= maxEntries) break;
  }
  return out;
}
