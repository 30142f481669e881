/** Message handling of the leader: proposals, replication responses, heartbeats, reads, transfers. */
import { assert } from '../base/assert.js';
import { ReadOnlyOption, type ProposalError } from './api.js';
import { decodeConfChangeV2 } from './conf-change-codec.js';
import { ConfChangeError, applyConfChangeV2, isLeaveJoint } from './confchange.js';
import { makeMessage } from './messages.js';
import type { Progress } from './progress.js';
import { majorityVoteResult } from './quorum.js';
import type { Raft } from './raft.js';
import { isJoint } from './tracker.js';
import {
  EntryType, MessageType, NONE, StateType, type ConfChangeV2, type Entry, type Message,
} from './types.js';

/** Loop bound when draining sends to one peer after an acknowledgement. */
const SENDS_PER_ACK_MAX = 1024;

export function stepLeader(r: Raft, m: Message): ProposalError | null {
  switch (m.type) {
    case MessageType.Beat:
      r.bcastHeartbeat();
      return null;
    case MessageType.CheckQuorum:
      checkQuorum(r);
      return null;
    case MessageType.Prop:
      return propose(r, m);
    case MessageType.ReadIndex:
      readIndex(r, m);
      return null;
    case MessageType.ForgetLeader:
      return null; // a leader knows the leader
    default:
      break;
  }
  const pr = r.tracker.progress.get(m.from);
  if (pr === undefined) {
    r.logger.debug(`${r.id} no progress available for ${m.from}`);
    return null;
  }
  switch (m.type) {
    case MessageType.AppResp: handleAppendResponse(r, m, pr); break;
    case MessageType.HeartbeatResp: handleHeartbeatResponse(r, m, pr); break;
    case MessageType.SnapStatus: handleSnapStatus(r, m, pr); break;
    case MessageType.Unreachable:
      // An append may have been lost: fall back to probing.
      if (pr.state === 'replicate') pr.becomeProbe();
      r.logger.debug(`${r.id} failed to send message to ${m.from} because it is unreachable [${pr.describe()}]`);
      break;
    case MessageType.TransferLeader: handleTransferLeader(r, m, pr); break;
    default: break;
  }
  return null;
}

function checkQuorum(r: Raft): void {
  // A leader removed from the configuration keeps leading until it has handed off: it cannot be
  // re-elected, so stepping down could leave the survivors unable to learn that the removal committed.
  // It serves no proposals and no reads meanwhile.
  if (!r.removedFromConfig() && !r.tracker.quorumActive(r.id)) {
    r.logger.warn(`${r.id} stepped down to follower since quorum is not active`);
    r.becomeFollower(r.term, NONE);
  }
  // Start a fresh activity window (our own entry stays active).
  r.tracker.visit((id, pr) => {
    if (id !== r.id) pr.recentActive = false;
  });
}

function propose(r: Raft, m: Message): ProposalError | null {
  assert(m.entries.length > 0, `${r.id} stepped empty MsgProp`);
  if (r.removedFromConfig()) return 'proposal-dropped';
  if (r.leadTransferee !== NONE) {
    r.logger.debug(`${r.id} [term ${r.term}] transfer leadership to ${r.leadTransferee} is in progress; dropping proposal`);
    return 'proposal-dropped';
  }
  const entries = m.entries.map((e, i) => filterConfChange(r, e, i));
  if (!r.appendEntry(entries)) return 'proposal-dropped';
  r.pendingBroadcast = true;
  return null;
}

/** Replaces a conf change that may not be proposed now by an empty normal entry (keeping indexes). */
function filterConfChange(r: Raft, entry: Entry, position: number): Entry {
  const copy: Entry = { term: entry.term, index: entry.index, type: entry.type, data: entry.data };
  if (copy.type !== EntryType.ConfChange && copy.type !== EntryType.ConfChangeV2) return copy;
  let refused = '';
  if (copy.type === EntryType.ConfChange) {
    refused = 'ConfChange (v1) entries are not supported; use ConfChangeV2';
  } else if (r.pendingConfIndex > r.raftLog.applied) {
    refused = 'possible unapplied conf change';
  } else {
    refused = validateConfChange(r, decodeConfChangeV2(copy.data));
  }
  if (refused !== '') {
    r.logger.info(`${r.id} ignoring conf change at index ${r.raftLog.lastIndex() + position + 1}: ${refused}`);
    return { term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) };
  }
  r.pendingConfIndex = r.raftLog.lastIndex() + position + 1;
  return copy;
}

/**
 * Why a conf change may not be proposed now ('' if it may). No conf change is pending, so the
 * configuration it will be applied to is the current one: dry-run it.
 */
function validateConfChange(r: Raft, cc: ConfChangeV2): string {
  const wantsLeaveJoint = isLeaveJoint(cc);
  const alreadyJoint = isJoint(r.tracker.config);
  if (alreadyJoint && !wantsLeaveJoint) return 'must transition out of joint config first';
  if (!alreadyJoint && wantsLeaveJoint) return 'not in joint state; refusing empty conf change';
  try {
    applyConfChangeV2(r.changerInput(), cc);
  } catch (error) {
    if (error instanceof ConfChangeError) return error.message;
    throw error;
  }
  return '';
}

function readIndex(r: Raft, m: Message): void {
  if (r.removedFromConfig()) {
    r.logger.debug(`${r.id} is no longer a voter; dropping read index request`);
    return;
  }
  if (r.tracker.isSingleton()) {
    answerReadIndex(r, m, r.raftLog.committed);
    return;
  }
  // Until an entry of this term commits, our commit index may be behind the cluster's (Figure 8).
  if (!r.committedEntryInCurrentTerm()) {
    r.pendingReadIndexMessages.push(m);
    return;
  }
  sendReadIndexResponse(r, m);
}

function sendReadIndexResponse(r: Raft, m: Message): void {
  if (r.readOnly.option === ReadOnlyOption.LeaseBased) {
    answerReadIndex(r, m, r.raftLog.committed);
    return;
  }
  r.readOnly.addRequest(r.raftLog.committed, m);
  r.readOnly.recvAck(r.id, m.context);
  r.bcastHeartbeat(m.context);
}

/** Answers a read: locally as a ReadState, or to the forwarding follower as MsgReadIndexResp. */
export function answerReadIndex(r: Raft, request: Message, index: number): void {
  if (request.from === NONE || request.from === r.id) {
    r.readStates.push({ index, requestCtx: request.context });
    return;
  }
  r.send(makeMessage({ type: MessageType.ReadIndexResp, to: request.from, index, context: request.context }));
}

/** Serves the reads queued until this leader committed an entry of its term (once it has). */
export function releasePendingReadIndexMessages(r: Raft): void {
  if (r.pendingReadIndexMessages.length === 0 || !r.committedEntryInCurrentTerm()) return;
  const pending = r.pendingReadIndexMessages;
  r.pendingReadIndexMessages = [];
  for (const m of pending) sendReadIndexResponse(r, m);
}

function handleAppendResponse(r: Raft, m: Message, pr: Progress): void {
  pr.recentActive = true;
  if (m.reject) {
    r.logger.debug(`${r.id} received MsgAppResp(rejected, hint: (index ${m.rejectHint}, term ${m.logTerm})) ` +
      `from ${m.from} for index ${m.index}`);
    let nextProbeIndex = m.rejectHint;
    if (m.logTerm > 0) nextProbeIndex = r.raftLog.findConflictByTerm(m.rejectHint, m.logTerm);
    if (pr.maybeDecrTo(m.index, nextProbeIndex)) {
      r.logger.debug(`${r.id} decreased progress of ${m.from} to [${pr.describe()}]`);
      if (pr.state === 'replicate') pr.becomeProbe();
      r.sendAppend(m.from);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  if (!pr.maybeUpdate(m.index)) return;
  if (pr.state === 'probe') {
    pr.becomeReplicate();
  } else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
    r.logger.debug(`${r.id} recovered from needing snapshot, resumed sending replication messages to ${m.from}`);
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === 'replicate') {
    pr.inflights.freeLE(m.index);
  }
  if (r.maybeCommit()) {
    releasePendingReadIndexMessages(r);
    r.commitAdvanced();
  } else if (wasPaused) {
    r.sendAppend(m.from);
  }
  // Keep the pipeline full: send as much as flow control allows.
  for (let i = 0; i < SENDS_PER_ACK_MAX && r.maybeSendAppend(m.from, false); i++) { /* drain */ }
  if (m.from === r.leadTransferee && pr.match === r.raftLog.lastIndex()) {
    r.logger.info(`${r.id} sent MsgTimeoutNow to ${m.from} after received MsgAppResp`);
    r.sendTimeoutNow(m.from);
  }
}

function handleHeartbeatResponse(r: Raft, m: Message, pr: Progress): void {
  pr.recentActive = true;
  pr.probeSent = false;
  // The peer is alive: free a slot so that a full window cannot stall replication forever.
  if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.raftLog.lastIndex()) r.sendAppend(m.from);
  if (r.readOnly.option !== ReadOnlyOption.Safe || m.context.byteLength === 0) return;
  const acks = r.readOnly.recvAck(m.from, m.context);
  if (acks === undefined) return;
  const votes = new Map<bigint, boolean>();
  for (const id of acks) votes.set(id, true);
  const won = majorityVoteResult(r.tracker.config.voters[0], votes) === 'won' &&
    majorityVoteResult(r.tracker.config.voters[1], votes) === 'won';
  if (!won) return;
  for (const status of r.readOnly.advance(m.context)) answerReadIndex(r, status.request, status.index);
}

function handleSnapStatus(r: Raft, m: Message, pr: Progress): void {
  if (pr.state !== 'snapshot') return;
  if (m.reject) {
    pr.pendingSnapshot = 0;
    r.logger.debug(`${r.id} snapshot failed, resumed sending replication messages to ${m.from} [${pr.describe()}]`);
  } else {
    r.logger.debug(`${r.id} snapshot succeeded, resumed sending replication messages to ${m.from} [${pr.describe()}]`);
  }
  pr.becomeProbe();
  // Wait for a heartbeat response (or an append response) before probing again.
  pr.probeSent = true;
}

function handleTransferLeader(r: Raft, m: Message, pr: Progress): void {
  if (pr.isLearner) {
    r.logger.debug(`${r.id} is learner. Ignored transferring leadership`);
    return;
  }
  const transferee = m.from;
  if (r.leadTransferee !== NONE) {
    if (r.leadTransferee === transferee) {
      r.logger.info(`${r.id} [term ${r.term}] transfer leadership to ${transferee} is in progress, ignores request to same node`);
      return;
    }
    r.abortLeaderTransfer();
    r.logger.info(`${r.id} [term ${r.term}] abort previous transferring leadership`);
  }
  if (transferee === r.id) {
    r.logger.debug(`${r.id} is already leader. Ignored transferring leadership to self`);
    return;
  }
  assert(r.state === StateType.Leader, 'transfer handled by a non-leader');
  r.logger.info(`${r.id} [term ${r.term}] starts to transfer leadership to ${transferee}`);
  // The transfer must finish within one election timeout.
  r.electionElapsed = 0;
  r.leadTransferee = transferee;
  if (pr.match === r.raftLog.lastIndex()) {
    r.sendTimeoutNow(transferee);
    r.logger.info(`${r.id} sends MsgTimeoutNow to ${transferee} immediately as ${transferee} already has up-to-date log`);
  } else {
    r.sendAppend(transferee);
  }
}
