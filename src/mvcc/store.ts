import { assert } from '../base/assert.js';
import { etcdError } from '../base/errors.js';
import type { Backend } from '../backend/backend.js';
import { binaryStringToBytes } from '../backend/bytes.js';
import { runPhysicalCompaction } from './compaction.js';
import { hashAllBuckets, hashKeyBucket } from './hash.js';
import { KeyIndex } from './key-index.js';
import { decodeKeyValue, EventType, makeKeyValue, type Event } from './kv-codec.js';
import {
  encodeUint64, META_CONSISTENT_INDEX, META_FINISHED_COMPACT, META_SCHEDULED_COMPACT, META_TERM, readCompactMark,
  readUint64, writeCompactMark,
} from './meta.js';
import { rangeAt, type RangeOptions, type RangeResult } from './read.js';
import { restoreIndex } from './restore.js';
import { decodeRevision, encodeRevision } from './revision.js';
import { MvccWriteTxn } from './write-txn.js';

/** Options for MvccStore.open. */
export interface MvccStoreOptions {
  /** Revisions examined per physical compaction step (default COMPACTION_BATCH_REVISIONS). */
  compactionBatchRevisions?: number;
}

/** HashKV result: `revision` is the store's current revision, `hashRevision` the hashed one. */
export interface KeyValueHash {
  hash: number;
  revision: number;
  compactRevision: number;
  hashRevision: number;
}

/**
 * etcd's MVCC key-value store over a Backend: revisions, an in-memory key index, compaction,
 * hashes and history for watch. Reads see the state at the current revision; writes go through
 * one write transaction at a time (write() ... end()).
 *
 * The store does not own the backend: close() stops compaction and commits, the caller closes the
 * backend.
 */
export class MvccStore {
  private index = new KeyIndex();
  private revision = 1;
  private compacted = -1;
  private appliedIndex = 0;
  private writeOpen = false;
  private compactionChain: Promise<void> = Promise.resolve();
  private closing = false;
  private restoredLeases: Map<string, bigint> | undefined;

  private constructor(private readonly backend: Backend, private readonly options: MvccStoreOptions) {}

  /**
   * Opens the store on `backend`: rebuilds the index from the `key` bucket, restores the revision,
   * compaction marks and consistent index, and resumes an interrupted compaction. Throws
   * CorruptionError on malformed data.
   */
  static async open(backend: Backend, options: MvccStoreOptions = {}): Promise<MvccStore> {
    const store = new MvccStore(backend, options);
    store.restore();
    return store;
  }

  private restore(): void {
    const finished = readCompactMark(this.backend, META_FINISHED_COMPACT);
    const scheduled = readCompactMark(this.backend, META_SCHEDULED_COMPACT);
    if (finished !== undefined) this.compacted = finished;
    const restored = restoreIndex(this.backend);
    this.index = restored.index;
    this.restoredLeases = restored.leases;
    this.revision = Math.max(1, restored.newestRevision, this.compacted, scheduled ?? 0);
    this.appliedIndex = readUint64(this.backend, META_CONSISTENT_INDEX);
    if (scheduled !== undefined && scheduled > this.compacted) {
      // A compaction was scheduled but not finished before the process stopped: finish it.
      void this.compact(scheduled);
    }
  }

  /** The revision of the last write transaction (1 for an empty store). */
  currentRevision(): number {
    return this.revision;
  }

  /** The revision of the last compaction, -1 if the store was never compacted (as etcd). */
  compactRevision(): number {
    return this.compacted;
  }

  /** The raft index of the last applied entry as recorded by setConsistentIndex (0 if never). */
  consistentIndex(): number {
    return this.appliedIndex;
  }

  /**
   * Records the applied raft index (and term, if given) in the current backend batch so they commit
   * atomically with the writes of the same entry. Throws AssertionError if `index` goes backwards.
   */
  setConsistentIndex(index: number, term?: number): void {
    assert(index >= this.appliedIndex, `consistent index going backwards: ${index} < ${this.appliedIndex}`);
    this.appliedIndex = index;
    this.backend.put('meta', META_CONSISTENT_INDEX, encodeUint64(index));
    if (term !== undefined) this.backend.put('meta', META_TERM, encodeUint64(term));
  }

  /**
   * Range at `options.revision` (<= 0: current). kvs in key order, `count` ignores `limit`.
   * Throws EtcdError ERR_FUTURE_REV or ERR_COMPACTED.
   */
  range(key: Uint8Array, rangeEnd: Uint8Array, options: RangeOptions = {}): RangeResult {
    return rangeAt(
      { backend: this.backend, index: this.index, compactRevision: this.compacted },
      { key, rangeEnd, options, readRevision: this.revision },
    );
  }

  /**
   * Starts the write transaction. At most one may be open (AssertionError otherwise); automatic
   * backend commits wait until it ends, so a txn is committed atomically.
   */
  write(): MvccWriteTxn {
    assert(!this.writeOpen, 'a write transaction is already open');
    assert(!this.closing, 'store is closed');
    this.writeOpen = true;
    const release = this.backend.holdCommits();
    return new MvccWriteTxn({
      backend: this.backend,
      index: this.index,
      currentRevision: () => this.revision,
      compactRevision: () => this.compacted,
      finishWrite: (changed) => {
        this.writeOpen = false;
        release();
        if (changed) this.revision++;
        return this.revision;
      },
    });
  }

  /**
   * Compacts at `revision`: validates synchronously (EtcdError ERR_COMPACTED if revision <= the
   * compact revision, ERR_FUTURE_REV if > current), records scheduledCompactRev, compacts the index
   * at once and deletes obsolete revisions from the backend in the background. `done` resolves when
   * finishedCompactRev is written (or when the store closes first: the next open resumes it).
   */
  compact(revision: number): { done: Promise<void> } {
    assert(!this.closing, 'store is closed');
    if (revision <= this.compacted) throw etcdError('ERR_COMPACTED');
    if (revision > this.revision) throw etcdError('ERR_FUTURE_REV');
    this.compacted = revision;
    writeCompactMark(this.backend, META_SCHEDULED_COMPACT, revision);
    const keep = this.index.compact(revision);
    const batch = this.options.compactionBatchRevisions;
    const run = (): Promise<void> => runPhysicalCompaction({
      backend: this.backend, revision, keep, stopped: () => this.closing,
      ...(batch === undefined ? {} : { batchRevisions: batch }),
    }).then(() => undefined);
    const done = this.compactionChain.then(() => (this.closing ? undefined : run()));
    this.compactionChain = done;
    return { done };
  }

  /** Resolves when every compaction scheduled so far has finished (or stopped at close). */
  compactionsDone(): Promise<void> {
    return this.compactionChain;
  }

  /**
   * etcd's HashKV at `revision` (<= 0: current). Throws ERR_COMPACTED if revision < compact
   * revision, ERR_FUTURE_REV if > current.
   */
  hashByRevision(revision: number): KeyValueHash {
    if (revision > 0 && revision < this.compacted) throw etcdError('ERR_COMPACTED');
    if (revision > this.revision) throw etcdError('ERR_FUTURE_REV');
    const hashRevision = revision > 0 ? revision : this.revision;
    const keep = this.index.keep(hashRevision);
    const hash = hashKeyBucket(this.backend, { revision: hashRevision, compactRevision: this.compacted, keep });
    return { hash, revision: this.revision, compactRevision: this.compacted, hashRevision };
  }

  /** etcd's Maintenance.Hash over all buckets (consistent_index and term excluded). */
  hash(): number {
    return hashAllBuckets(this.backend);
  }

  /**
   * Events with fromRevision <= revision <= toRevision, oldest first, read from the backend (at most
   * `limit` if given). PUT events carry the stored kv, DELETE events {key, modRevision}; prevKv is
   * not set. Throws ERR_COMPACTED if fromRevision < compact revision.
   */
  eventsBetween(fromRevision: number, toRevision: number, limit?: number): Event[] {
    if (fromRevision < this.compacted) throw etcdError('ERR_COMPACTED');
    const events: Event[] = [];
    if (toRevision < fromRevision) return events;
    const start = encodeRevision(Math.max(0, fromRevision), 0);
    const end = encodeRevision(toRevision + 1, 0);
    for (const [key, value] of this.backend.range('key', start, end, limit)) {
      const { main, tombstone } = decodeRevision(key);
      const kv = decodeKeyValue(value);
      if (tombstone) {
        const deleted = makeKeyValue({ key: kv.key, modRevision: main });
        events.push({ type: EventType.DELETE, kv: deleted, prevKv: undefined });
      } else {
        events.push({ type: EventType.PUT, kv, prevKv: undefined });
      }
    }
    return events;
  }

  /**
   * The live keys attached to leases as found at open (for the lessor to re-attach). Returns them
   * once; later calls return an empty list.
   */
  takeRestoredLeases(): Array<{ key: Uint8Array; lease: bigint }> {
    const leases = this.restoredLeases ?? new Map<string, bigint>();
    this.restoredLeases = undefined;
    return [...leases].map(([key, lease]) => ({ key: binaryStringToBytes(key), lease }));
  }

  /** Stops background compaction (it resumes at the next open) and commits. Does not close the backend. */
  async close(): Promise<void> {
    this.closing = true;
    await this.compactionChain;
    await this.backend.forceCommit();
  }
}
