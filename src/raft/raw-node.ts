/**
 * RawNode: the synchronous, deterministic API of the Raft core (RawNodeApi). Inputs (tick, step,
 * propose, ...) mutate the node; ready()/advance() hand the resulting work to the application. See
 * README.md for the Ready contract.
 */
import { assert } from '../base/assert.js';
import type { Config, ProposalError, RawNodeApi } from './api.js';
import { encodeConfChangeV2 } from './conf-change-codec.js';
import { ConfChangeError, applyConfChangeV2 } from './confchange.js';
import type { RaftLogger } from './logger.js';
import { isLocalMessage, isResponseMessage, makeMessage } from './messages.js';
import { Raft } from './raft.js';
import { tick } from './step.js';
import {
  EntryType, MessageType, StateType,
  type ConfChangeV2, type ConfState, type HardState, type Message, type NodeId, type Progress, type Ready,
  type SoftState, type Status,
} from './types.js';

function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function softStateEqual(a: SoftState, b: SoftState): boolean {
  return a.lead === b.lead && a.raftState === b.raftState;
}

/** Encoded empty ConfChangeV2: "leave the joint configuration". */
const LEAVE_JOINT_DATA = encodeConfChangeV2({ transition: 0, changes: [], context: new Uint8Array(0) });

export class RawNode implements RawNodeApi {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  /** The Ready handed out and not yet advanced. */
  private pendingReady: Ready | undefined = undefined;

  /**
   * Creates a node from `config.storage` (restart) or an empty storage (fresh node; bootstrap a cluster
   * by applying a snapshot whose ConfState lists the initial voters). @throws AssertionError on a bad
   * config (see validateConfig) or inconsistent storage (e.g. hardState.commit > lastIndex, applied > commit).
   */
  constructor(config: Config, logger?: RaftLogger) {
    this.raft = new Raft(config, logger);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  tick(): void {
    tick(this.raft);
  }

  campaign(): void {
    this.raft.step(makeMessage({ type: MessageType.Hup, from: this.raft.id }));
  }

  /** @throws AssertionError for local message types (Hup, Beat, CheckQuorum, ...). */
  step(message: Message): void {
    assert(!isLocalMessage(message.type), `cannot step local message type ${message.type} from the network`);
    if (isResponseMessage(message.type) && !this.raft.tracker.progress.has(message.from)) return;
    this.raft.step(message);
  }

  propose(data: Uint8Array): ProposalError | null {
    return this.raft.step(makeMessage({
      type: MessageType.Prop, from: this.raft.id,
      entries: [{ term: 0, index: 0, type: EntryType.Normal, data }],
    }));
  }

  proposeConfChange(change: ConfChangeV2): ProposalError | null {
    return this.raft.step(makeMessage({
      type: MessageType.Prop, from: this.raft.id,
      entries: [{ term: 0, index: 0, type: EntryType.ConfChangeV2, data: encodeConfChangeV2(change) }],
    }));
  }

  /**
   * Applies a committed conf change. A change that is invalid for the current configuration (e.g. it
   * would remove every voter) is ignored with a warning, deterministically on every member, and the
   * unchanged ConfState is returned. (The leader already refuses such proposals; this covers entries
   * proposed by a leader with a different view.)
   */
  applyConfChange(change: ConfChangeV2): ConfState {
    const r = this.raft;
    try {
      return r.switchToConfig(applyConfChangeV2(r.changerInput(), change));
    } catch (error) {
      if (!(error instanceof ConfChangeError)) throw error;
      r.logger.warn(`${r.id} ignoring invalid conf change: ${error.message}`);
      return r.tracker.confState();
    }
  }

  /** @throws AssertionError if requestCtx is empty (it identifies the request). */
  readIndex(requestCtx: Uint8Array): void {
    assert(requestCtx.byteLength > 0, 'read index request context must not be empty');
    this.raft.step(makeMessage({ type: MessageType.ReadIndex, context: requestCtx }));
  }

  transferLeader(transferee: NodeId): void {
    this.raft.step(makeMessage({ type: MessageType.TransferLeader, from: transferee }));
  }

  forgetLeader(): void {
    this.raft.step(makeMessage({ type: MessageType.ForgetLeader }));
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step(makeMessage({ type: MessageType.Unreachable, from: id }));
  }

  reportSnapshot(id: NodeId, status: 'finish' | 'failure'): void {
    this.raft.step(makeMessage({ type: MessageType.SnapStatus, from: id, reject: status === 'failure' }));
  }

  commitBroadcastPending(): boolean {
    return this.raft.pendingCommitBroadcast && this.raft.state === StateType.Leader;
  }

  broadcastCommit(): void {
    this.raft.broadcastCommit();
  }

  hasReady(): boolean {
    if (this.pendingReady !== undefined) return false;
    const r = this.raft;
    if (r.pendingBroadcast && r.state === StateType.Leader) return true;
    // Field comparisons (no allocation): hasReady() runs on every loop iteration of the server.
    const soft = this.prevSoftState;
    if (r.lead !== soft.lead || r.state !== soft.raftState) return true;
    const hard = this.prevHardState;
    if (r.term !== hard.term || r.vote !== hard.vote || r.raftLog.committed !== hard.commit) return true;
    if (r.raftLog.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.raftLog.unstable.entries.length > 0 || r.raftLog.hasNextEntries()) return true;
    return r.readStates.length > 0;
  }

  /** @throws AssertionError if the previous Ready was not advanced. */
  ready(): Ready {
    assert(this.pendingReady === undefined, 'ready() called again before advance()');
    const r = this.raft;
    r.flushBroadcast();
    const rd: Ready = {
      readStates: r.readStates,
      entries: r.raftLog.unstableEntries(),
      committedEntries: r.raftLog.nextEntries(),
      messages: r.msgs,
      mustSync: false,
    };
    const soft = r.softState();
    if (!softStateEqual(soft, this.prevSoftState)) rd.softState = soft;
    const hard = r.hardState();
    if (!hardStateEqual(hard, this.prevHardState)) rd.hardState = hard;
    if (r.raftLog.unstable.snapshot !== undefined) rd.snapshot = r.raftLog.unstable.snapshot;
    rd.mustSync = rd.entries.length > 0 || hard.term !== this.prevHardState.term ||
      hard.vote !== this.prevHardState.vote;
    this.prevSoftState = soft;
    r.msgs = [];
    r.readStates = [];
    this.pendingReady = rd;
    return rd;
  }

  /** @throws AssertionError if there is no outstanding Ready. */
  advance(): void {
    const rd = this.pendingReady;
    assert(rd !== undefined, 'advance() without a pending Ready');
    const r = this.raft;
    if (rd.hardState !== undefined) this.prevHardState = rd.hardState;
    if (rd.snapshot !== undefined) {
      r.raftLog.stableSnapTo(rd.snapshot.metadata.index);
      if (rd.snapshot.metadata.index > r.raftLog.applied) r.raftLog.appliedTo(rd.snapshot.metadata.index);
    }
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted !== undefined) this.advanceApplied(lastCommitted.index);
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry !== undefined) r.raftLog.stableTo(lastEntry.index, lastEntry.term);
    r.reduceUncommittedSize(rd.committedEntries);
    this.pendingReady = undefined;
  }

  private advanceApplied(newApplied: number): void {
    const r = this.raft;
    const oldApplied = r.raftLog.applied;
    r.raftLog.appliedTo(newApplied);
    const leaveNow = r.tracker.config.autoLeave && oldApplied <= r.pendingConfIndex &&
      newApplied >= r.pendingConfIndex && r.state === StateType.Leader;
    if (!leaveNow) return;
    // The joint configuration is applied: propose leaving it (an empty ConfChangeV2).
    const appended = r.appendEntry([{ term: 0, index: 0, type: EntryType.ConfChangeV2, data: LEAVE_JOINT_DATA }]);
    assert(appended, 'refused to append the leave-joint entry');
    r.pendingConfIndex = r.raftLog.lastIndex();
    r.logger.info(`initiating automatic transition out of joint configuration ${JSON.stringify(r.tracker.confState(), idReplacer)}`);
    r.bcastAppend();
  }

  status(): Status {
    const r = this.raft;
    const progress = new Map<NodeId, Progress>();
    if (r.state === StateType.Leader) {
      r.tracker.visit((id, pr) => {
        progress.set(id, {
          match: pr.match, next: pr.next, state: pr.state, isLearner: pr.isLearner, recentActive: pr.recentActive,
        });
      });
    }
    return {
      id: r.id, hardState: r.hardState(), softState: r.softState(), applied: r.raftLog.applied,
      leadTransferee: r.leadTransferee, progress, config: r.tracker.confState(),
    };
  }

  /** Introspection for tests and the DSL (not part of RawNodeApi). */
  get internal(): Raft {
    return this.raft;
  }
}

function idReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? String(value) : value;
}
