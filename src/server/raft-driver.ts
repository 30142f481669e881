/**
 * The one Ready loop (etcd-io/raft doc.go steps 1-4). It is the only code that consumes a Ready:
 *   1. If a snapshot arrived, persist it and hand it to the state machine first.
 *   2. Save entries and HardState to the WAL (fsync when mustSync), then append them to raft storage.
 *      A leader sends its messages before this step (it writes its log in parallel with replication);
 *      a follower sends only after, because its messages acknowledge persisted data.
 *   3. Apply committed entries (the caller's synchronous apply function), deliver read states.
 *   4. advance().
 * Proposals made while one iteration awaits its fsync accumulate in raft and go into the next Ready:
 * that is the group commit (one fdatasync per batch).
 */
import { assert } from '../base/assert.js';
import type { RawNodeApi } from '../raft/api.js';
import type { MemoryStorage } from '../raft/memory-storage.js';
import {
  StateType, type Entry, type Message, type ReadState, type Snapshot, type SoftState,
} from '../raft/types.js';
import type { Wal } from '../wal/wal.js';
import { crashPoint } from '../platform/crash-points.js';

/**
 * Robustness canary (tests/robustness): TETCD_CANARY_BUG=ack-before-fsync makes followers acknowledge
 * entries before saving them and skips every fdatasync. Never set outside that test.
 */
const canaryAckBeforeFsync = process.env['TETCD_CANARY_BUG'] === 'ack-before-fsync';

export interface RaftDriverHooks {
  /** Applies committed entries in order (synchronously; throwing is fatal). */
  applyEntries(entries: Entry[]): void;
  /** Read states answering readIndex requests. */
  readStates(states: ReadState[]): void;
  softStateChanged(state: SoftState): void;
  /** Restores the state machine from a received snapshot (multi-member; persisted by the hook). */
  applySnapshot(snapshot: Snapshot): Promise<void>;
  /** Sends messages to peers (no-op for a single member). */
  send(messages: Message[]): void;
  /** Called when the loop dies with an unexpected error (the server must stop). */
  fatal(error: unknown): void;
  /** Runs after advance(), inside the loop, so it never overlaps a WAL save (raft snapshots, WAL purge). */
  afterReady(): Promise<void>;
}

/**
 * How long a leader may hold back a new commit index that no append has carried yet (the raft node runs
 * with deferCommitBroadcast). Under load the next proposal's append carries it first; when idle,
 * followers learn it this much later than with an immediate broadcast (their applies, watch events and
 * serializable reads lag by at most this). docs/design/0012-deferred-commit-broadcast.md.
 */
export const COMMIT_BROADCAST_DELAY_MS = 5;

/** Resolves after the event loop's next check phase, where node:http2 writes queued frames. */
function checkPhase(): Promise<void> {
  return new Promise((resolve) => { setImmediate(resolve); });
}

export class RaftDriver {
  private running = false;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private isLeader = false;
  /** The term of the last persisted HardState (for response headers). */
  term = 0;
  /** Called at the top of every iteration, before Ready is taken (read batching hooks in here). */
  beforeReady: (() => void) | undefined;

  constructor(
    readonly node: RawNodeApi,
    readonly storage: MemoryStorage,
    private readonly wal: Wal,
    private readonly heartbeatMs: number,
    private readonly hooks: RaftDriverHooks,
  ) {
    assert(heartbeatMs > 0, 'heartbeat interval must be positive');
  }

  start(): void {
    assert(!this.running, 'raft driver already started');
    this.running = true;
    this.tickTimer = setInterval(() => { this.node.tick(); this.wake(); }, this.heartbeatMs);
    this.loopDone = this.loop().catch((error: unknown) => {
      if (!this.stopped) this.hooks.fatal(error);
    });
  }

  /** Signals that the node may have a new Ready (after propose/step/readIndex). */
  wake(): void {
    const wakeUp = this.wakeUp;
    if (wakeUp !== undefined) {
      this.wakeUp = undefined;
      wakeUp();
    }
  }

  leader(): boolean {
    return this.isLeader;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tickTimer !== undefined) clearInterval(this.tickTimer);
    if (this.commitTimer !== undefined) clearTimeout(this.commitTimer);
    this.wake();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.beforeReady?.();
      if (!this.node.hasReady()) {
        await new Promise<void>((resolve) => { this.wakeUp = resolve; });
        continue;
      }
      await this.handleReady();
      await this.hooks.afterReady();
      this.scheduleCommitBroadcast();
    }
  }

  /**
   * Arms the bounded-delay commit broadcast when the node holds back a commit index, and disarms it once
   * appends have carried the commit index to every follower (under steady load it then never fires).
   */
  private scheduleCommitBroadcast(): void {
    if (!this.node.commitBroadcastPending()) {
      if (this.commitTimer !== undefined) clearTimeout(this.commitTimer);
      this.commitTimer = undefined;
      return;
    }
    if (this.commitTimer !== undefined || this.stopped) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      this.node.broadcastCommit();
      this.wake();
    }, COMMIT_BROADCAST_DELAY_MS);
  }

  private async handleReady(): Promise<void> {
    const rd = this.node.ready();
    // The term reported with a leader change is the one in this Ready (it is persisted below).
    if (rd.hardState !== undefined) this.term = Math.max(this.term, rd.hardState.term);
    if (rd.softState !== undefined) {
      this.isLeader = rd.softState.raftState === StateType.Leader;
      this.hooks.softStateChanged(rd.softState);
    }
    const sendEarly = this.isLeader || canaryAckBeforeFsync;
    if (sendEarly && rd.messages.length > 0) {
      this.hooks.send(rd.messages);
      // The appends must leave before the WAL write and its (possibly blocking) fsync. A raw raft stream
      // writes them at send time; an HTTP/2 link to an older peer only in the event loop's check phase, so
      // let one pass (on raw streams the p50 was also worse without it: design 0013).
      if (rd.entries.length > 0 || rd.hardState !== undefined) await checkPhase();
    }
    if (rd.snapshot !== undefined) {
      // State machine first (it swaps in the received backend and writes the snapshot file), then the
      // WAL marker: a crash in between restarts from the new backend and snapshot file.
      await this.hooks.applySnapshot(rd.snapshot);
      crashPoint('raft.after-snapshot-apply');
      await this.wal.saveSnapshot({ index: rd.snapshot.metadata.index, term: rd.snapshot.metadata.term,
        confState: rd.snapshot.metadata.confState });
      this.storage.applySnapshot(rd.snapshot);
    }
    if (rd.hardState !== undefined || rd.entries.length > 0) {
      crashPoint('raft.before-save');
      await this.wal.save(rd.hardState, rd.entries, rd.mustSync && !canaryAckBeforeFsync);
      crashPoint('raft.after-save');
    }
    if (rd.hardState !== undefined) {
      this.storage.setHardState(rd.hardState);
      this.term = rd.hardState.term;
    }
    if (rd.entries.length > 0) this.storage.append(rd.entries);
    if (!sendEarly && rd.messages.length > 0) {
      this.hooks.send(rd.messages);
      // An HTTP/2 link to an older peer writes the acknowledgements in the event loop's check phase: let
      // it, before the apply below delays them by its own duration (design 0013).
      if (rd.committedEntries.length > 0) await checkPhase();
    }
    if (rd.committedEntries.length > 0) {
      crashPoint('raft.before-apply');
      this.hooks.applyEntries(rd.committedEntries);
      crashPoint('raft.after-apply');
    }
    if (rd.readStates.length > 0) this.hooks.readStates(rd.readStates);
    this.node.advance();
  }
}
