/**
 * Simulated disk of one node with two layers: the durable image (what survives a crash) and the list of
 * writes issued but not yet fsynced. fsync() moves every pending write to the durable image in order. A
 * crash discards the pending writes, except that (LazyFS-style) a prefix of them may have reached the
 * platter anyway: the log is written sequentially, so what survives is always a prefix.
 */
import { assert } from '../base/assert.js';
import type { Random } from '../base/random.js';
import type { Entry, HardState, Snapshot } from '../raft/types.js';

/** What a node can rebuild itself from after a crash. `entries` are those after the snapshot index. */
export interface DiskImage {
  snapshot: Snapshot | undefined;
  hardState: HardState;
  entries: Entry[];
}

export type DiskWrite =
  | { kind: 'append'; entries: Entry[] }
  | { kind: 'hardState'; hardState: HardState }
  /** A snapshot received from the leader: replaces the whole log. */
  | { kind: 'installSnapshot'; snapshot: Snapshot }
  /** A locally taken snapshot: entries up to `compactIndex` are dropped, later ones kept. */
  | { kind: 'localSnapshot'; snapshot: Snapshot; compactIndex: number };

/** Pending (unsynced) writes a node may accumulate; more means the simulator forgot to fsync. */
export const PENDING_WRITES_MAX = 100_000;

function snapshotIndex(image: DiskImage): number {
  return image.snapshot?.metadata.index ?? 0;
}

/** Applies one write to an image in place. Throws AssertionError on a non-contiguous append. */
export function applyWrite(image: DiskImage, write: DiskWrite): void {
  switch (write.kind) {
    case 'append': {
      const first = write.entries[0];
      if (first === undefined) return;
      const base = snapshotIndex(image);
      const kept = write.entries.filter((e) => e.index > base);
      const head = kept[0];
      if (head === undefined) return;
      const start = image.entries[0]?.index ?? base + 1;
      const offset = head.index - start;
      assert(offset >= 0, 'append below the retained log');
      assert(offset <= image.entries.length, `append at ${head.index} leaves a gap after ${start + image.entries.length - 1}`);
      image.entries = image.entries.slice(0, offset).concat(kept);
      return;
    }
    case 'hardState':
      image.hardState = { ...write.hardState };
      return;
    case 'installSnapshot':
      assert(write.snapshot.metadata.index >= snapshotIndex(image), 'installed snapshot is older than the current one');
      image.snapshot = write.snapshot;
      image.entries = [];
      return;
    case 'localSnapshot': {
      const base = snapshotIndex(image);
      if (write.snapshot.metadata.index <= base) return;
      assert(write.compactIndex <= write.snapshot.metadata.index, 'compaction beyond the snapshot');
      image.snapshot = write.snapshot;
      image.entries = image.entries.filter((e) => e.index > write.compactIndex);
      return;
    }
  }
}

export class SimDisk {
  private durableImage: DiskImage;
  private pending: DiskWrite[] = [];
  /** Counters for reports and tests. */
  readonly stats = { writes: 0, fsyncs: 0, crashes: 0, lostWrites: 0 };

  constructor(initial: DiskImage) {
    const { snapshot, hardState } = initial;
    this.durableImage = { snapshot, hardState: { ...hardState }, entries: [...initial.entries] };
  }

  /** Issues a write (visible to the running node, not yet durable). */
  write(write: DiskWrite): void {
    this.pending.push(write);
    this.stats.writes += 1;
    assert(this.pending.length <= PENDING_WRITES_MAX, 'too many unsynced writes');
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Makes every pending write durable, in issue order. */
  fsync(): void {
    for (const write of this.pending) applyWrite(this.durableImage, write);
    this.pending = [];
    this.stats.fsyncs += 1;
  }

  /**
   * Loses the unsynced writes. With probability `tornTailRate` a random prefix of them survives.
   * Returns a copy of the durable image to restart from.
   */
  crash(random: Random, tornTailRate: number): DiskImage {
    if (this.pending.length > 0 && random.float() < tornTailRate) {
      const survive = random.intBelow(this.pending.length + 1);
      for (let i = 0; i < survive; i++) applyWrite(this.durableImage, this.pending[i]!);
      this.stats.lostWrites += this.pending.length - survive;
    } else {
      this.stats.lostWrites += this.pending.length;
    }
    this.pending = [];
    this.stats.crashes += 1;
    return this.durable();
  }

  /** The durable HardState (a copy). */
  durableHardState(): HardState {
    return { ...this.durableImage.hardState };
  }

  /** A copy of the durable image (arrays copied; entries and snapshots are immutable). */
  durable(): DiskImage {
    const image = this.durableImage;
    return { snapshot: image.snapshot, hardState: { ...image.hardState }, entries: [...image.entries] };
  }
}
