/**
 * Raft snapshots and WAL/snapshot-file retention (--snapshot-count, --max-snapshots, --max-wals).
 * Every `snapshotCount` applied entries, inside the Ready loop (never overlapping a WAL save): commit
 * the backend (so its consistent index covers the snapshot), write snapshot metadata, record the marker
 * in the WAL, compact the in-memory raft log (keeping a tail for slow followers), release old WAL
 * segments and purge old snapshot files.
 */
import type { Backend } from '../backend/backend.js';
import type { Logger } from '../platform/logger.js';
import type { MemoryStorage } from '../raft/memory-storage.js';
import type { ConfState } from '../raft/types.js';
import type { Wal } from '../wal/wal.js';
import { purgeSnapFiles, saveSnapMetadata } from './snap-store.js';

/** Entries kept in the raft log after a snapshot so slightly slow followers catch up without one. */
const CATCH_UP_ENTRIES = 5000;

export class SnapshotTrigger {
  private snapshotIndex: number;
  private applied: number;
  private confState: ConfState;

  constructor(
    private readonly boot: { wal: Wal; snapDir: string; confState: ConfState; snapshotIndex: number },
    private readonly options: { snapshotCount: number; maxSnapshots: number; maxWals: number; unsafeNoFsync: boolean },
    private readonly logger: Logger,
    applied: number,
  ) {
    this.snapshotIndex = boot.snapshotIndex;
    this.applied = applied;
    this.confState = boot.confState;
  }

  noteApplied(index: number, confState: ConfState): void {
    this.applied = index;
    this.confState = confState;
  }

  /** After installing a snapshot received from the leader. */
  resetTo(snapshotIndex: number, applied: number, confState: ConfState): void {
    this.snapshotIndex = snapshotIndex;
    this.applied = applied;
    this.confState = confState;
  }

  async maybeSnapshot(storage: MemoryStorage, backend: Backend): Promise<void> {
    if (this.applied - this.snapshotIndex < this.options.snapshotCount) return;
    const index = this.applied;
    const term = storage.term(index);
    await backend.forceCommit();
    await saveSnapMetadata(this.boot.snapDir, { index, term, confState: this.confState }, this.options.unsafeNoFsync);
    await this.boot.wal.saveSnapshot({ index, term, confState: this.confState });
    storage.createSnapshot(index, this.confState, new Uint8Array(0));
    const compactTo = index - CATCH_UP_ENTRIES;
    if (compactTo > storage.firstIndex()) storage.compact(compactTo);
    this.snapshotIndex = index;
    this.logger.info({ 'snapshot-index': index }, 'saved snapshot');
    await purgeSnapFiles(this.boot.snapDir, this.options.maxSnapshots);
    await this.releaseWal(index);
  }

  /**
   * Deletes WAL segments fully covered by the snapshot, oldest first, while more than --max-wals files
   * exist (0: keep every file), as etcd's WAL purge does.
   */
  private async releaseWal(index: number): Promise<void> {
    await this.boot.wal.releaseTo(index, this.options.maxWals);
  }
}
