/**
 * Common message handling: term comparison rules, leader stickiness, vote granting, elections
 * (pre-vote and real) and ticks. Role-specific handling is in step-leader.ts / step-follower.ts.
 */
import { assert } from '../base/assert.js';
import type { ProposalError } from './api.js';
import {
  bytesEqual, CAMPAIGN_TRANSFER_CONTEXT, makeMessage, voteResponseType,
} from './messages.js';
import { NO_LIMIT } from './raft-log.js';
import type { Raft } from './raft.js';
import { stepLeader } from './step-leader.js';
import { stepCandidate, stepFollower } from './step-follower.js';
import { EntryType, MessageType, NONE, StateType, type Message } from './types.js';

export type CampaignType = 'pre-election' | 'election' | 'transfer';

/** Routes a message through the term rules and then to the role's handler. */
export function stepRaft(r: Raft, m: Message): ProposalError | null {
  if (!stepTermRules(r, m)) return null;
  switch (m.type) {
    case MessageType.Hup:
      hup(r, r.preVote ? 'pre-election' : 'election');
      return null;
    case MessageType.Vote:
    case MessageType.PreVote:
      handleVoteRequest(r, m);
      return null;
    default:
      return stepRole(r, m);
  }
}

function stepRole(r: Raft, m: Message): ProposalError | null {
  switch (r.state) {
    case StateType.Leader: return stepLeader(r, m);
    case StateType.Candidate:
    case StateType.PreCandidate: return stepCandidate(r, m);
    case StateType.Follower: return stepFollower(r, m);
  }
}

/** Applies the term comparison rules; returns false when the message is consumed (ignored/answered). */
function stepTermRules(r: Raft, m: Message): boolean {
  if (m.term === 0) return true; // local message
  if (m.term > r.term) {
    if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
      const force = bytesEqual(m.context, CAMPAIGN_TRANSFER_CONTEXT);
      const inLease = r.checkQuorum && r.lead !== NONE && r.electionElapsed < r.electionTimeout;
      if (!force && inLease) {
        r.logger.info(`${r.id} [logterm: ${r.raftLog.lastTerm()}, index: ${r.raftLog.lastIndex()}, vote: ${r.vote}] ` +
          `ignored ${messageName(m.type)} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${r.term}: ` +
          `lease is not expired (remaining ticks: ${r.electionTimeout - r.electionElapsed})`);
        return false;
      }
    }
    if (m.type === MessageType.PreVote) {
      // Never change our term in response to a pre-vote.
    } else if (m.type === MessageType.PreVoteResp && !m.reject) {
      // A granted pre-vote carries the future term; ours is bumped when we win the pre-election.
    } else {
      r.logger.info(`${r.id} [term: ${r.term}] received a ${messageName(m.type)} message with higher term ` +
        `from ${m.from} [term: ${m.term}]`);
      const knownLeader = m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap;
      r.becomeFollower(m.term, knownLeader ? m.from : NONE);
    }
    return true;
  }
  if (m.term < r.term) {
    // Always tell a sender of a lower term about ours (Raft §5.1; etcd-raft does so only for pre-votes, and
    // for appends only with check-quorum or pre-vote). A voter that missed conf changes campaigns only to
    // its stale configuration, so the current members never see its term in a request: without these
    // answers neither a stale leader nor a candidate learns it, and the voter stays out (decision 0009).
    if (m.type === MessageType.Heartbeat || m.type === MessageType.App) {
      // A stale leader: it learns the new term and steps down.
      r.send(makeMessage({ type: MessageType.AppResp, to: m.from }));
    } else if (m.type === MessageType.PreVote) {
      r.send(makeMessage({ type: MessageType.PreVoteResp, to: m.from, term: r.term, reject: true }));
    } else if (m.type === MessageType.Vote) {
      r.send(makeMessage({ type: MessageType.VoteResp, to: m.from, term: r.term, reject: true }));
    } else {
      r.logger.debug(`${r.id} [term: ${r.term}] ignored a ${messageName(m.type)} message with lower term ` +
        `from ${m.from} [term: ${m.term}]`);
    }
    return false;
  }
  return true;
}

function handleVoteRequest(r: Raft, m: Message): void {
  const canVote = r.vote === m.from || (r.vote === NONE && r.lead === NONE) ||
    (m.type === MessageType.PreVote && m.term > r.term);
  const respType = voteResponseType(m.type);
  if (canVote && r.raftLog.isUpToDate(m.index, m.logTerm)) {
    r.logger.info(`${r.id} [logterm: ${r.raftLog.lastTerm()}, index: ${r.raftLog.lastIndex()}, vote: ${r.vote}] ` +
      `cast ${messageName(m.type)} for ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${r.term}`);
    // Answer with the request's term: a pre-vote reply must carry the future term to be counted.
    r.send(makeMessage({ type: respType, to: m.from, term: m.term }));
    if (m.type === MessageType.Vote) {
      assert(r.vote === NONE || r.vote === m.from, `${r.id} would vote twice in term ${r.term}`);
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    r.logger.info(`${r.id} [logterm: ${r.raftLog.lastTerm()}, index: ${r.raftLog.lastIndex()}, vote: ${r.vote}] ` +
      `rejected ${messageName(m.type)} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${r.term}`);
    r.send(makeMessage({ type: respType, to: m.from, term: r.term, reject: true }));
  }
}

/** Starts an election unless this node may not (leader, learner, unapplied conf changes). */
export function hup(r: Raft, type: CampaignType): void {
  if (r.state === StateType.Leader) {
    r.logger.debug(`${r.id} ignoring MsgHup because already leader`);
    return;
  }
  if (!r.promotable()) {
    r.logger.warn(`${r.id} is unpromotable and can not campaign`);
    return;
  }
  if (hasUnappliedConfChange(r)) {
    r.logger.warn(`${r.id} cannot campaign at term ${r.term} since there are still pending configuration changes to apply`);
    return;
  }
  r.logger.info(`${r.id} is starting a new election at term ${r.term}`);
  campaign(r, type);
}

function hasUnappliedConfChange(r: Raft): boolean {
  if (r.raftLog.committed <= r.raftLog.applied) return false;
  const entries = r.raftLog.slice(r.raftLog.applied + 1, r.raftLog.committed + 1, NO_LIMIT);
  return entries.some((e) => e.type === EntryType.ConfChange || e.type === EntryType.ConfChangeV2);
}

/** Campaigns: becomes (pre-)candidate, votes for itself and requests votes from every voter. */
export function campaign(r: Raft, type: CampaignType): void {
  let voteType: MessageType;
  let term: number;
  if (type === 'pre-election') {
    r.becomePreCandidate();
    voteType = MessageType.PreVote;
    term = r.term + 1; // the pre-vote is for the next term, which we do not enter yet
  } else {
    r.becomeCandidate();
    voteType = MessageType.Vote;
    term = r.term;
  }
  if (poll(r, r.id, voteResponseType(voteType), true) === 'won') {
    // Single-voter configuration: won without asking anyone.
    if (type === 'pre-election') campaign(r, 'election');
    else r.becomeLeader();
    return;
  }
  const context = type === 'transfer' ? CAMPAIGN_TRANSFER_CONTEXT : new Uint8Array(0);
  for (const id of r.tracker.voterIds()) {
    if (id === r.id) continue;
    r.logger.info(`${r.id} [logterm: ${r.raftLog.lastTerm()}, index: ${r.raftLog.lastIndex()}] sent ` +
      `${messageName(voteType)} request to ${id} at term ${r.term}`);
    r.send(makeMessage({
      type: voteType, to: id, term, index: r.raftLog.lastIndex(), logTerm: r.raftLog.lastTerm(), context,
    }));
  }
}

/** Records a vote (`responseType` is VoteResp or PreVoteResp) and returns the election's outcome so far. */
export function poll(r: Raft, id: bigint, responseType: MessageType, granted: boolean): 'won' | 'lost' | 'pending' {
  if (id !== r.id) {
    r.logger.info(`${r.id} received ${messageName(responseType)} ${granted ? '' : 'rejection '}` +
      `from ${id} at term ${r.term}`);
  }
  r.tracker.recordVote(id, granted);
  const tally = r.tracker.tallyVotes();
  if (id !== r.id) {
    r.logger.info(`${r.id} has received ${tally.granted} ${messageName(responseType)} votes and ` +
      `${tally.rejected} vote rejections`);
  }
  return tally.result;
}

/** One logical tick: election timer on followers/candidates, heartbeat timer on the leader. */
export function tick(r: Raft): void {
  if (r.state === StateType.Leader) tickHeartbeat(r);
  else tickElection(r);
}

function tickElection(r: Raft): void {
  r.electionElapsed++;
  if (r.promotable() && r.pastElectionTimeout()) {
    r.electionElapsed = 0;
    r.step(makeMessage({ type: MessageType.Hup, from: r.id }));
  }
}

function tickHeartbeat(r: Raft): void {
  r.heartbeatElapsed++;
  r.electionElapsed++;
  if (r.electionElapsed >= r.electionTimeout) {
    r.electionElapsed = 0;
    if (r.checkQuorum) r.step(makeMessage({ type: MessageType.CheckQuorum, from: r.id }));
    // A transfer that did not finish within an election timeout is abandoned.
    if (r.state === StateType.Leader && r.leadTransferee !== NONE) {
      r.logger.info(`${r.id} [term ${r.term}] abort transferring leadership to ${r.leadTransferee}: election timeout`);
      r.abortLeaderTransfer();
      // A removed leader keeps trying to hand off (its successor may have been slow to apply the change).
      if (r.removedFromConfig()) r.handOffLeadership();
    }
  }
  if (r.state !== StateType.Leader) return;
  if (r.heartbeatElapsed >= r.heartbeatTimeout) {
    r.heartbeatElapsed = 0;
    r.step(makeMessage({ type: MessageType.Beat, from: r.id }));
  }
}

const MESSAGE_NAMES: Record<MessageType, string> = {
  [MessageType.Hup]: 'MsgHup', [MessageType.Beat]: 'MsgBeat', [MessageType.Prop]: 'MsgProp',
  [MessageType.App]: 'MsgApp', [MessageType.AppResp]: 'MsgAppResp', [MessageType.Vote]: 'MsgVote',
  [MessageType.VoteResp]: 'MsgVoteResp', [MessageType.Snap]: 'MsgSnap', [MessageType.Heartbeat]: 'MsgHeartbeat',
  [MessageType.HeartbeatResp]: 'MsgHeartbeatResp', [MessageType.Unreachable]: 'MsgUnreachable',
  [MessageType.SnapStatus]: 'MsgSnapStatus', [MessageType.CheckQuorum]: 'MsgCheckQuorum',
  [MessageType.TransferLeader]: 'MsgTransferLeader', [MessageType.TimeoutNow]: 'MsgTimeoutNow',
  [MessageType.ReadIndex]: 'MsgReadIndex', [MessageType.ReadIndexResp]: 'MsgReadIndexResp',
  [MessageType.PreVote]: 'MsgPreVote', [MessageType.PreVoteResp]: 'MsgPreVoteResp',
  [MessageType.ForgetLeader]: 'MsgForgetLeader',
};

export function messageName(type: MessageType): string {
  return MESSAGE_NAMES[type];
}
