/**
 * The contract of the Raft core, shared by its implementation (raw-node.ts), the simulator (src/sim)
 * and the server's Ready loop (src/server). Synchronous and deterministic: no I/O, timers or clock.
 */
import type { Random } from '../base/random.js';
import type {
  ConfChangeV2, ConfState, Entry, HardState, Message, NodeId, Ready, Snapshot, Status,
} from './types.js';

/**
 * Read access to the persisted log, as in etcd-io/raft. The application appends to it after persisting
 * each Ready (MemoryStorage does this in memory; the server backs it with the WAL).
 * Methods throw RaftStorageError('compacted') for indexes at or below the snapshot index and
 * RaftStorageError('unavailable') for indexes beyond lastIndex.
 */
export interface Storage {
  /** The persisted HardState and ConfState (from the latest snapshot plus applied conf changes). */
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at most maxBytes in total but always at least one entry if any exist. */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** Term of the entry at index i; valid for firstIndex()-1 .. lastIndex(). */
  term(i: number): number;
  lastIndex(): number;
  /** Index of the first entry still available (snapshot index + 1). */
  firstIndex(): number;
  /** The latest snapshot; may throw RaftStorageError('snapshot-temporarily-unavailable'). */
  snapshot(): Snapshot;
}

export type RaftStorageErrorKind = 'compacted' | 'unavailable' | 'snapshot-temporarily-unavailable' | 'snap-out-of-date';

export class RaftStorageError extends Error {
  override readonly name = 'RaftStorageError';
  constructor(readonly kind: RaftStorageErrorKind) {
    super(`raft storage: ${kind}`);
  }
}

/** Read-only behaviour for ReadIndex. */
export const enum ReadOnlyOption {
  /** Confirm leadership with a heartbeat round before answering (safe). */
  Safe = 0,
  /** Rely on the leader lease (needs checkQuorum and bounded clock drift). Opt-in only. */
  LeaseBased = 1,
}

export interface Config {
  id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns (randomized in [e, 2e)). */
  electionTick: number;
  heartbeatTick: number;
  storage: Storage;
  /** Source of election-timeout randomness; seeded in the simulator. */
  random: Random;
  /** Last applied index when restarting (entries <= applied are not returned again). */
  applied?: number;
  /** Bytes of entries per append message. */
  maxSizePerMsg?: number;
  /** Bytes of committed entries handed out per Ready (0 = unlimited). */
  maxCommittedSizePerReady?: number;
  /** Bytes of uncommitted entries the leader accepts before dropping proposals (0 = unlimited). */
  maxUncommittedEntriesSize?: number;
  /** Append messages in flight per follower in replicate state. */
  maxInflightMsgs: number;
  /** Default true. */
  checkQuorum?: boolean;
  /** Default true. */
  preVote?: boolean;
  readOnlyOption?: ReadOnlyOption;
  /** Drop proposals when there is no known leader instead of queueing (default true). */
  disableProposalForwarding?: boolean;
  /**
   * Default false (etcd-raft's behaviour: a leader sends an append carrying the new commit index to every
   * follower as soon as its commit index advances). When true, the leader only marks the new commit index
   * as pending: the next append to a follower carries it anyway, and broadcastCommit() sends it to the
   * followers that have not got it yet. The caller must call broadcastCommit() within a bounded delay of
   * commitBroadcastPending() turning true (heartbeats also carry the commit index). Under sequential load
   * this halves the messages and Readys per entry on followers (docs/design/0012-deferred-commit-broadcast.md).
   */
  deferCommitBroadcast?: boolean;
  /**
   * Test-only fault injection for the simulator's canary: when set, the leader commits entries of a
   * previous term by counting replicas (the Raft paper's Figure 8 bug). Never set in production.
   */
  unsafeCommitPreviousTermByCounting?: boolean;
}

/** Errors returned (as values, not thrown) by propose/proposeConfChange. */
export type ProposalError = 'proposal-dropped';

/**
 * The node. All methods are synchronous. Inputs: tick, step, propose, proposeConfChange, readIndex,
 * transferLeader, forgetLeader, campaign. Output: ready()/advance().
 */
export interface RawNodeApi {
  /** Advances logical time by one tick (heartbeat or election timer). */
  tick(): void;
  /** Starts an election immediately (MsgHup). */
  campaign(): void;
  /** Feeds a message received from a peer. Local message types are refused with an AssertionError. */
  step(message: Message): void;
  /** Proposes data to be appended to the log. Returns an error value if dropped (no leader, transfer). */
  propose(data: Uint8Array): ProposalError | null;
  proposeConfChange(change: ConfChangeV2): ProposalError | null;
  /** Applies a committed conf change entry, returning the new ConfState (call when applying it). */
  applyConfChange(change: ConfChangeV2): ConfState;
  /** Requests a read index; the answer arrives as a ReadState with the same requestCtx. */
  readIndex(requestCtx: Uint8Array): void;
  transferLeader(transferee: NodeId): void;
  forgetLeader(): void;
  /** Reports that a peer could not be reached (transport failure). */
  reportUnreachable(id: NodeId): void;
  reportSnapshot(id: NodeId, status: 'finish' | 'failure'): void;
  /** With deferCommitBroadcast: the leader has a commit index that some follower was not sent yet. */
  commitBroadcastPending(): boolean;
  /** Sends the commit index to every follower that was not sent it yet (no-op unless pending). */
  broadcastCommit(): void;
  hasReady(): boolean;
  /** Returns the next Ready. Must be followed by advance() after it is handled. */
  ready(): Ready;
  /** Acknowledges the last Ready as fully handled (persisted, sent, applied). */
  advance(): void;
  status(): Status;
}

export type { ConfChangeV2, Entry, Message, Snapshot };
