/**
 * The Raft state machine (one node): state, role transitions, log appends, commit and outgoing
 * messages. Message handling lives in step.ts (common rules), step-leader.ts and step-follower.ts.
 */
import { assert } from '../base/assert.js';
import type { Random } from '../base/random.js';
import { Limits } from '../base/limits.js';
import { ReadOnlyOption, RaftStorageError, type Config, type ProposalError } from './api.js';
import { restoreFromConfState, type ChangerInput, type ConfChangeResult } from './confchange.js';
import { silentLogger, type RaftLogger } from './logger.js';
import { makeMessage } from './messages.js';
import { RaftLog, payloadSizeBytes } from './raft-log.js';
import { ReadOnly } from './read-only.js';
import { stepRaft } from './step.js';
import { releasePendingReadIndexMessages } from './step-leader.js';
import { ProgressTracker } from './tracker.js';
import {
  EntryType, MessageType, NONE, StateType,
  type ConfState, type Entry, type HardState, type Message, type NodeId, type ReadState, type SoftState,
} from './types.js';

/** Bound of the send loop per follower when flushing proposals (flow control normally stops it first). */
const SENDS_PER_FLUSH_MAX = 1024;

/** Default bytes of entries per append message. */
export const MAX_SIZE_PER_MSG_DEFAULT = Limits.raftMessageBytesMax;

const STATE_NAMES: Record<StateType, string> = {
  [StateType.Follower]: 'StateFollower', [StateType.Candidate]: 'StateCandidate',
  [StateType.Leader]: 'StateLeader', [StateType.PreCandidate]: 'StatePreCandidate',
};

export function stateName(state: StateType): string {
  return STATE_NAMES[state];
}

/** @throws AssertionError describing the first invalid setting. */
export function validateConfig(config: Config): void {
  assert(config.id !== NONE, 'cannot use none as id');
  assert(Number.isSafeInteger(config.heartbeatTick) && config.heartbeatTick > 0, 'heartbeat tick must be > 0');
  assert(Number.isSafeInteger(config.electionTick) && config.electionTick > config.heartbeatTick,
    'election tick must be greater than heartbeat tick');
  assert(Number.isSafeInteger(config.maxInflightMsgs) && config.maxInflightMsgs > 0, 'max inflight messages must be > 0');
  if (config.readOnlyOption === ReadOnlyOption.LeaseBased) {
    assert(config.checkQuorum !== false, 'CheckQuorum must be enabled when ReadOnlyOption is LeaseBased');
  }
}

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  state: StateType = StateType.Follower;
  isLearner = false;
  readonly raftLog: RaftLog;
  readonly tracker: ProgressTracker;
  readOnly: ReadOnly;
  readStates: ReadState[] = [];
  msgs: Message[] = [];
  /** Ticks since the last election timeout reset (or, on the leader, since the last quorum check). */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  readonly electionTimeout: number;
  readonly heartbeatTimeout: number;
  randomizedElectionTimeout = 0;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly disableProposalForwarding: boolean;
  readonly unsafeCommitPreviousTerm: boolean;
  readonly maxMsgSizeBytes: number;
  readonly maxUncommittedSizeBytes: number;
  uncommittedSizeBytes = 0;
  /** Index of the latest conf change proposed by this leader; a new one waits until it is applied. */
  pendingConfIndex = 0;
  leadTransferee: NodeId = NONE;
  /**
   * Proposals were appended but not yet broadcast. Sending is deferred to the next Ready so that all
   * proposals stepped between two Readys travel in one append per follower (batching).
   */
  pendingBroadcast = false;
  /** See Config.deferCommitBroadcast. */
  readonly deferCommitBroadcast: boolean;
  /** The commit index advanced and some follower may not have been sent it (deferCommitBroadcast). */
  pendingCommitBroadcast = false;
  /** Read requests received before this leader committed an entry of its term. */
  pendingReadIndexMessages: Message[] = [];
  readonly random: Random;
  readonly logger: RaftLogger;

  constructor(config: Config, logger: RaftLogger = silentLogger) {
    validateConfig(config);
    this.id = config.id;
    this.electionTimeout = config.electionTick;
    this.heartbeatTimeout = config.heartbeatTick;
    this.checkQuorum = config.checkQuorum ?? true;
    this.preVote = config.preVote ?? true;
    this.disableProposalForwarding = config.disableProposalForwarding ?? false;
    this.deferCommitBroadcast = config.deferCommitBroadcast ?? false;
    this.unsafeCommitPreviousTerm = config.unsafeCommitPreviousTermByCounting ?? false;
    this.maxMsgSizeBytes = config.maxSizePerMsg ?? MAX_SIZE_PER_MSG_DEFAULT;
    this.maxUncommittedSizeBytes = config.maxUncommittedEntriesSize ?? 0;
    this.random = config.random;
    this.logger = logger;
    this.readOnly = new ReadOnly(config.readOnlyOption ?? ReadOnlyOption.Safe);
    this.raftLog = new RaftLog(config.storage, config.maxCommittedSizePerReady ?? 0);
    this.tracker = new ProgressTracker(config.maxInflightMsgs);
    const { hardState, confState } = config.storage.initialState();
    this.switchToConfig(restoreFromConfState(confState, this.raftLog.lastIndex(), config.maxInflightMsgs));
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) this.loadState(hardState);
    if ((config.applied ?? 0) > 0) this.raftLog.appliedTo(config.applied!);
    this.becomeFollower(this.term, NONE);
    this.logger.info(`newRaft ${this.id} [peers: [${this.tracker.voterIds().join(',')}], term: ${this.term}, ` +
      `commit: ${this.raftLog.committed}, applied: ${this.raftLog.applied}, lastindex: ${this.raftLog.lastIndex()}, ` +
      `lastterm: ${this.raftLog.lastTerm()}]`);
  }

  private loadState(hardState: HardState): void {
    const lastIndex = this.raftLog.lastIndex();
    assert(hardState.commit >= this.raftLog.committed && hardState.commit <= lastIndex,
      `${this.id} state.commit ${hardState.commit} is out of range [${this.raftLog.committed}, ${lastIndex}]`);
    this.raftLog.committed = hardState.commit;
    this.term = hardState.term;
    this.vote = hardState.vote;
  }

  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  /** A voter that may campaign: in the configuration, not a learner, no pending snapshot. */
  promotable(): boolean {
    const pr = this.tracker.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasPendingSnapshot();
  }

  step(message: Message): ProposalError | null {
    return stepRaft(this, message);
  }

  /**
   * Queues a message, filling in `from` (unless set: forwarded transfer requests keep the transferee)
   * and `term`. @throws AssertionError on a malformed term.
   */
  send(message: Message): void {
    if (message.from === NONE) message.from = this.id;
    const t = message.type;
    const isVoteType = t === MessageType.Vote || t === MessageType.VoteResp ||
      t === MessageType.PreVote || t === MessageType.PreVoteResp;
    if (isVoteType) {
      assert(message.term !== 0, `term should be set when sending ${t}`);
    } else {
      assert(message.term === 0, `term should not be set when sending ${t} (was ${message.term})`);
      // Proposals and read requests are forwarded as local messages (term 0).
      if (t !== MessageType.Prop && t !== MessageType.ReadIndex) message.term = this.term;
    }
    this.msgs.push(message);
  }

  // ---- role transitions ----

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.tracker.resetVotes();
    const lastIndex = this.raftLog.lastIndex();
    this.tracker.visit((id, pr) => {
      pr.becomeProbe();
      pr.match = id === this.id ? lastIndex : 0;
      pr.next = lastIndex + 1;
      pr.recentActive = id === this.id;
      pr.sentCommit = 0;
    });
    this.pendingConfIndex = 0;
    this.pendingBroadcast = false;
    this.pendingCommitBroadcast = false;
    this.uncommittedSizeBytes = 0;
    this.readOnly = new ReadOnly(this.readOnly.option);
    this.pendingReadIndexMessages = [];
  }

  resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.random.intBelow(this.electionTimeout);
  }

  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = StateType.Follower;
    this.logger.info(`${this.id} became follower at term ${this.term}`);
  }

  becomeCandidate(): void {
    assert(this.state !== StateType.Leader, 'invalid transition [leader -> candidate]');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = StateType.Candidate;
    this.logger.info(`${this.id} became candidate at term ${this.term}`);
  }

  becomePreCandidate(): void {
    assert(this.state !== StateType.Leader, 'invalid transition [leader -> pre-candidate]');
    // Pre-candidates change neither term nor vote.
    this.tracker.resetVotes();
    this.lead = NONE;
    this.state = StateType.PreCandidate;
    this.logger.info(`${this.id} became pre-candidate at term ${this.term}`);
  }

  becomeLeader(): void {
    assert(this.state !== StateType.Follower, 'invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.state = StateType.Leader;
    const self = this.tracker.progress.get(this.id);
    assert(self !== undefined, 'leader must be in its configuration');
    self.becomeReplicate();
    self.recentActive = true;
    // Any conf change in the uncommitted tail may be pending: be conservative.
    this.pendingConfIndex = this.raftLog.lastIndex();
    const appended = this.appendEntry([{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }]);
    assert(appended, 'empty entry was dropped');
    this.logger.info(`${this.id} became leader at term ${this.term}`);
  }

  // ---- log and commit ----

  /** Leader append: stamps term/index, counts the uncommitted size, acks itself, tries to commit. */
  appendEntry(entries: Entry[]): boolean {
    const lastIndex = this.raftLog.lastIndex();
    entries.forEach((entry, i) => {
      entry.term = this.term;
      entry.index = lastIndex + 1 + i;
    });
    if (!this.increaseUncommittedSize(entries)) {
      this.logger.debug(`${this.id} appending new entries to log would exceed uncommitted entry size limit; dropping proposal`);
      return false;
    }
    const newLast = this.raftLog.append(entries);
    this.tracker.progress.get(this.id)?.maybeUpdate(newLast);
    this.maybeCommit();
    return true;
  }

  private increaseUncommittedSize(entries: Entry[]): boolean {
    const size = payloadSizeBytes(entries);
    if (this.maxUncommittedSizeBytes > 0 && this.uncommittedSizeBytes > 0 && size > 0 &&
      this.uncommittedSizeBytes + size > this.maxUncommittedSizeBytes) return false;
    this.uncommittedSizeBytes += size;
    return true;
  }

  reduceUncommittedSize(entries: Entry[]): void {
    if (this.uncommittedSizeBytes === 0) return;
    this.uncommittedSizeBytes = Math.max(0, this.uncommittedSizeBytes - payloadSizeBytes(entries));
  }

  /** Advances the commit index to what a quorum acknowledged (entries of this term only). */
  maybeCommit(): boolean {
    const quorumIndex = this.tracker.committed();
    return this.raftLog.maybeCommit(quorumIndex, this.term, this.unsafeCommitPreviousTerm);
  }

  committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrZero(this.raftLog.committed) === this.term;
  }

  // ---- sending to followers ----

  /**
   * Sends an append (or a snapshot when the needed entries are compacted) to `to` unless paused.
   * Returns whether a message was sent. Empty appends are sent only if `sendIfEmpty`.
   */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    if (prevIndex < this.raftLog.firstIndex() - 1) return this.maybeSendSnapshot(to);
    let prevTerm: number;
    let entries: Entry[];
    try {
      prevTerm = this.raftLog.term(pr.next - 1);
      entries = this.raftLog.entriesFrom(pr.next, this.maxMsgSizeBytes);
    } catch (error) {
      // Only compaction means "send a snapshot"; anything else is a storage bug.
      if (!(error instanceof RaftStorageError) || error.kind !== 'compacted') throw error;
      return this.maybeSendSnapshot(to);
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    const last = entries[entries.length - 1];
    if (last !== undefined) {
      if (pr.state === 'replicate') {
        pr.optimisticUpdate(last.index);
        pr.inflights.add(last.index);
      } else if (pr.state === 'probe') {
        pr.probeSent = true;
      }
    }
    const commit = this.raftLog.committed;
    pr.sentCommit = Math.max(pr.sentCommit, commit);
    this.send(makeMessage({ type: MessageType.App, to, index: prevIndex, logTerm: prevTerm, entries, commit }));
    return true;
  }

  private maybeSendSnapshot(to: NodeId): boolean {
    const pr = this.tracker.progress.get(to)!;
    if (!pr.recentActive) {
      this.logger.debug(`ignore sending snapshot to ${to} since it is not recently active`);
      return false;
    }
    let snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (error) {
      if (error instanceof RaftStorageError && error.kind === 'snapshot-temporarily-unavailable') {
        this.logger.debug(`${this.id} failed to send snapshot to ${to} because snapshot is temporarily unavailable`);
        return false;
      }
      throw error;
    }
    assert(snapshot.metadata.index > 0, 'need non-empty snapshot');
    pr.becomeSnapshot(snapshot.metadata.index);
    this.logger.debug(`${this.id} [firstindex: ${this.raftLog.firstIndex()}, commit: ${this.raftLog.committed}] ` +
      `sent snapshot[index: ${snapshot.metadata.index}, term: ${snapshot.metadata.term}] to ${to}`);
    this.send(makeMessage({ type: MessageType.Snap, to, snapshot }));
    return true;
  }

  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends the appends deferred by proposals (called when a Ready is assembled): to each follower, as
   * many messages as its flow control allows (several when entries exceed maxSizePerMsg).
   */
  flushBroadcast(): void {
    if (!this.pendingBroadcast) return;
    this.pendingBroadcast = false;
    if (this.state !== StateType.Leader) return;
    this.tracker.visit((id) => {
      if (id === this.id) return;
      for (let i = 0; i < SENDS_PER_FLUSH_MAX && this.maybeSendAppend(id, false); i++) { /* fill the window */ }
    });
    // The appends carried the commit index: nothing is held back any more.
    if (this.pendingCommitBroadcast && this.everyFollowerSentCommit()) this.pendingCommitBroadcast = false;
  }

  private everyFollowerSentCommit(): boolean {
    const committed = this.raftLog.committed;
    let sent = true;
    this.tracker.visit((id, pr) => {
      if (id !== this.id && pr.sentCommit < committed) sent = false;
    });
    return sent;
  }

  bcastAppend(): void {
    this.tracker.visit((id) => {
      if (id !== this.id) this.sendAppend(id);
    });
  }

  /** The leader's commit index advanced: send it now, or (deferCommitBroadcast) mark it pending. */
  commitAdvanced(): void {
    if (this.deferCommitBroadcast) this.pendingCommitBroadcast = true;
    else this.bcastAppend();
  }

  /**
   * Sends the commit index to the followers that were not sent it yet (an empty append each; a paused
   * follower gets it with its next append). Clears the pending mark.
   */
  broadcastCommit(): void {
    if (!this.pendingCommitBroadcast) return;
    this.pendingCommitBroadcast = false;
    if (this.state !== StateType.Leader) return;
    const committed = this.raftLog.committed;
    this.tracker.visit((id, pr) => {
      if (id !== this.id && pr.sentCommit < committed) this.maybeSendAppend(id, true);
    });
  }

  sendHeartbeat(to: NodeId, context: Uint8Array | undefined): void {
    const pr = this.tracker.progress.get(to);
    const commit = Math.min(pr?.match ?? 0, this.raftLog.committed);
    if (pr !== undefined) pr.sentCommit = Math.max(pr.sentCommit, commit);
    this.send(makeMessage({ type: MessageType.Heartbeat, to, commit, context: context ?? new Uint8Array(0) }));
  }

  bcastHeartbeat(context?: Uint8Array): void {
    const ctx = context ?? this.readOnly.lastPendingContext();
    this.tracker.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, ctx);
    });
  }

  sendTimeoutNow(to: NodeId): void {
    this.send(makeMessage({ type: MessageType.TimeoutNow, to }));
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  // ---- configuration ----

  /** The current configuration as input for confchange functions. */
  changerInput(): ChangerInput {
    return {
      config: this.tracker.config, progress: this.tracker.progress,
      lastIndex: this.raftLog.lastIndex(), maxInflight: this.tracker.maxInflight,
    };
  }

  /** True when this node is no longer a voter of its configuration (removed or demoted). */
  removedFromConfig(): boolean {
    const pr = this.tracker.progress.get(this.id);
    return pr === undefined || pr.isLearner;
  }

  /**
   * A removed (or demoted) leader keeps replicating, so that the remaining voters learn that the
   * change committed, and transfers leadership to the most up-to-date remaining voter (MsgTimeoutNow
   * once it has caught up). It drops proposals meanwhile; a transfer that times out is retried.
   */
  handOffLeadership(): void {
    let successor: NodeId = NONE;
    let successorMatch = -1;
    this.tracker.visit((id, pr) => {
      if (id === this.id || !this.tracker.isVoter(id) || pr.match <= successorMatch) return;
      successor = id;
      successorMatch = pr.match;
    });
    if (successor === NONE) return;
    this.logger.info(`${this.id} is no longer a voter; transferring leadership to ${successor}`);
    this.leadTransferee = successor;
    this.electionElapsed = 0;
    if (successorMatch === this.raftLog.lastIndex()) this.sendTimeoutNow(successor);
    else this.sendAppend(successor);
  }

  /** Installs a new configuration and reacts to it (step down if removed, commit, catch up). */
  switchToConfig(change: ConfChangeResult): ConfState {
    this.tracker.config = change.config;
    this.tracker.progress = change.progress;
    const cs = this.tracker.confState();
    const pr = this.tracker.progress.get(this.id);
    this.isLearner = pr !== undefined && pr.isLearner;
    if (this.state !== StateType.Leader || cs.voters.length === 0) return cs;
    if (this.maybeCommit()) {
      releasePendingReadIndexMessages(this);
      this.bcastAppend();
    } else {
      this.tracker.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== NONE && !this.tracker.isVoter(this.leadTransferee)) this.abortLeaderTransfer();
    if (this.removedFromConfig() && this.leadTransferee === NONE) this.handOffLeadership();
    return cs;
  }
}
