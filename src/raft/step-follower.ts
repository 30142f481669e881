/** Message handling of followers and (pre-)candidates, and the follower side of replication. */
import { ReadOnlyOption, type ProposalError } from './api.js';
import { restoreFromConfState } from './confchange.js';
import { makeMessage } from './messages.js';
import type { Raft } from './raft.js';
import { campaign, hup, messageName, poll } from './step.js';
import { MessageType, NONE, StateType, type Message, type Snapshot } from './types.js';

export function stepFollower(r: Raft, m: Message): ProposalError | null {
  switch (m.type) {
    case MessageType.Prop:
      if (r.lead === NONE) {
        r.logger.info(`${r.id} no leader at term ${r.term}; dropping proposal`);
        return 'proposal-dropped';
      }
      if (r.disableProposalForwarding) {
        r.logger.info(`${r.id} not forwarding to leader ${r.lead} at term ${r.term}; dropping proposal`);
        return 'proposal-dropped';
      }
      forwardToLeader(r, m);
      return null;
    case MessageType.App:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppendEntries(r, m);
      return null;
    case MessageType.Heartbeat:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      return null;
    case MessageType.Snap:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      return null;
    default:
      stepFollowerOther(r, m);
      return null;
  }
}

function stepFollowerOther(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.TransferLeader:
      if (r.lead === NONE) {
        r.logger.info(`${r.id} no leader at term ${r.term}; dropping leader transfer msg`);
        return;
      }
      forwardToLeader(r, m);
      return;
    case MessageType.ForgetLeader:
      // With lease reads a follower must not forget (the leader may still hold its lease).
      if (r.readOnly.option === ReadOnlyOption.LeaseBased) {
        r.logger.info(`${r.id} ignoring MsgForgetLeader due to ReadOnlyLeaseBased`);
        return;
      }
      if (r.lead !== NONE) r.logger.info(`${r.id} forgetting leader ${r.lead} at term ${r.term}`);
      r.lead = NONE;
      return;
    case MessageType.TimeoutNow:
      r.logger.info(`${r.id} [term ${r.term}] received MsgTimeoutNow from ${m.from} and starts an election to get leadership`);
      // Leadership transfer bypasses pre-vote and leader stickiness.
      hup(r, 'transfer');
      return;
    case MessageType.ReadIndex:
      if (r.lead === NONE) {
        r.logger.info(`${r.id} no leader at term ${r.term}; dropping index reading msg`);
        return;
      }
      forwardToLeader(r, m);
      return;
    case MessageType.ReadIndexResp:
      r.readStates.push({ index: m.index, requestCtx: m.context });
      return;
    default:
      return;
  }
}

/** Forwards a copy of `m` to the leader (term cleared: it may already have been forwarded once). */
function forwardToLeader(r: Raft, m: Message): void {
  r.send({ ...m, to: r.lead, term: 0 });
}

export function stepCandidate(r: Raft, m: Message): ProposalError | null {
  const myVoteResp = r.state === StateType.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
  switch (m.type) {
    case MessageType.Prop:
      r.logger.info(`${r.id} no leader at term ${r.term}; dropping proposal`);
      return 'proposal-dropped';
    case MessageType.App:
      r.becomeFollower(m.term, m.from);
      handleAppendEntries(r, m);
      return null;
    case MessageType.Heartbeat:
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return null;
    case MessageType.Snap:
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return null;
    case MessageType.TimeoutNow:
      r.logger.debug(`${r.id} [term ${r.term} state ${r.state}] ignored MsgTimeoutNow from ${m.from}`);
      return null;
    default:
      if (m.type === myVoteResp) handleVoteResponse(r, m);
      return null;
  }
}

function handleVoteResponse(r: Raft, m: Message): void {
  const result = poll(r, m.from, m.type, !m.reject);
  if (result === 'won') {
    if (r.state === StateType.PreCandidate) {
      campaign(r, 'election');
    } else {
      r.becomeLeader();
      r.bcastAppend();
    }
  } else if (result === 'lost') {
    // A pre-candidate keeps its term; a candidate stays at the term it started.
    r.becomeFollower(r.term, NONE);
  }
}

function handleAppendEntries(r: Raft, m: Message): void {
  if (m.index < r.raftLog.committed) {
    r.send(makeMessage({ type: MessageType.AppResp, to: m.from, index: r.raftLog.committed }));
    return;
  }
  const lastNewIndex = r.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNewIndex !== undefined) {
    r.send(makeMessage({ type: MessageType.AppResp, to: m.from, index: lastNewIndex }));
    return;
  }
  // Reject with a hint: the largest index <= min(m.index, lastIndex) whose term is <= m.logTerm, so the
  // leader can skip a whole term of mismatching entries in one round trip.
  const ourLogTerm = r.raftLog.termOrZero(m.index);
  const hintIndex = r.raftLog.findConflictByTerm(Math.min(m.index, r.raftLog.lastIndex()), m.logTerm);
  const hintTerm = r.raftLog.termOrZero(hintIndex);
  r.logger.debug(`${r.id} [logterm: ${ourLogTerm}, index: ${m.index}] rejected ${messageName(m.type)} ` +
    `[logterm: ${m.logTerm}, index: ${m.index}] from ${m.from}`);
  r.send(makeMessage({
    type: MessageType.AppResp, to: m.from, index: m.index, reject: true, rejectHint: hintIndex, logTerm: hintTerm,
  }));
}

function handleHeartbeat(r: Raft, m: Message): void {
  r.raftLog.commitTo(m.commit);
  r.send(makeMessage({ type: MessageType.HeartbeatResp, to: m.from, context: m.context }));
}

function handleSnapshot(r: Raft, m: Message): void {
  const snapshot = m.snapshot;
  if (snapshot === undefined) return;
  const { index, term } = snapshot.metadata;
  if (restoreSnapshot(r, snapshot)) {
    r.logger.info(`${r.id} [commit: ${r.raftLog.committed}] restored snapshot [index: ${index}, term: ${term}]`);
    r.send(makeMessage({ type: MessageType.AppResp, to: m.from, index: r.raftLog.lastIndex() }));
  } else {
    r.logger.info(`${r.id} [commit: ${r.raftLog.committed}] ignored snapshot [index: ${index}, term: ${term}]`);
    r.send(makeMessage({ type: MessageType.AppResp, to: m.from, index: r.raftLog.committed }));
  }
}

/** Installs a snapshot unless it is stale or our log already contains it; returns whether it did. */
function restoreSnapshot(r: Raft, snapshot: Snapshot): boolean {
  const { index, term, confState } = snapshot.metadata;
  if (index <= r.raftLog.committed) return false;
  if (r.state !== StateType.Follower) {
    // Defensive: only followers receive snapshots. Become one at a higher term and drop this one.
    r.logger.warn(`${r.id} attempted to restore snapshot as leader; should never happen`);
    r.becomeFollower(r.term + 1, NONE);
    return false;
  }
  const inConfig = [...confState.voters, ...confState.learners, ...confState.votersOutgoing]
    .some((id) => id === r.id);
  if (!inConfig) {
    r.logger.warn(`${r.id} attempted to restore snapshot but it is not in the ConfState; should never happen`);
    return false;
  }
  if (r.raftLog.matchTerm(index, term)) {
    // Our log already has the snapshot's last entry: just fast-forward the commit index.
    r.logger.info(`${r.id} fast-forwarded commit to snapshot [index: ${index}, term: ${term}]`);
    r.raftLog.commitTo(index);
    return false;
  }
  r.raftLog.restore(snapshot);
  r.switchToConfig(restoreFromConfState(confState, r.raftLog.lastIndex(), r.tracker.maxInflight));
  return true;
}
