/**
 * Applying membership changes to a (config, progress) pair: joint consensus (enterJoint/leaveJoint) and
 * single-voter-delta changes (simple), with the same safety checks as etcd-raft's confchange package.
 * Functions return new objects and never mutate their inputs.
 */
import { assert } from '../base/assert.js';
import { Progress } from './progress.js';
import {
  checkInvariants, cloneConfig, emptyConfig, isJoint, type TrackerConfig,
} from './tracker.js';
import {
  ConfChangeTransition, ConfChangeType, type ConfChangeSingle, type ConfChangeV2, type ConfState, type NodeId,
} from './types.js';

export interface ConfChangeResult {
  config: TrackerConfig;
  progress: Map<NodeId, Progress>;
}

/** Inputs of a change: the current configuration and progress, and the leader's last log index. */
export interface ChangerInput {
  config: TrackerConfig;
  progress: ReadonlyMap<NodeId, Progress>;
  lastIndex: number;
  maxInflight: number;
}

/** An invalid membership change (programmer or operator error); the configuration is left unchanged. */
export class ConfChangeError extends Error {
  override readonly name = 'ConfChangeError';
}

/** True when the change asks to leave a joint configuration (Auto transition, no changes). */
export function isLeaveJoint(cc: ConfChangeV2): boolean {
  return cc.transition === ConfChangeTransition.Auto && cc.changes.length === 0;
}

/** Whether the change enters a joint configuration, and if so whether it is left automatically. */
export function enterJointMode(cc: ConfChangeV2): { enter: boolean; autoLeave: boolean } {
  if (cc.transition === ConfChangeTransition.Auto && cc.changes.length <= 1) return { enter: false, autoLeave: false };
  return { enter: true, autoLeave: cc.transition !== ConfChangeTransition.JointExplicit };
}

function copyInput(input: ChangerInput): ConfChangeResult {
  const progress = new Map<NodeId, Progress>();
  // Progress objects are shared: apply() replaces (never mutates) the entries it changes.
  for (const [id, pr] of input.progress) progress.set(id, pr);
  return { config: cloneConfig(input.config), progress };
}

function cloneProgress(pr: Progress, isLearner: boolean, maxInflight: number): Progress {
  const copy = new Progress({ next: pr.next, maxInflight, isLearner });
  copy.match = pr.match;
  copy.state = pr.state;
  copy.pendingSnapshot = pr.pendingSnapshot;
  copy.recentActive = pr.recentActive;
  copy.probeSent = pr.probeSent;
  return copy;
}

/**
 * Computes the configuration after `cc`: leave-joint, enter-joint (several changes or an explicit
 * transition) or a simple change. @throws ConfChangeError when the change is invalid for `input`.
 */
export function applyConfChangeV2(input: ChangerInput, cc: ConfChangeV2): ConfChangeResult {
  if (isLeaveJoint(cc)) return leaveJoint(input);
  const mode = enterJointMode(cc);
  return mode.enter ? enterJoint(input, mode.autoLeave, cc.changes) : simple(input, cc.changes);
}

/** Enters a joint configuration. @throws ConfChangeError if already joint or the result is invalid. */
export function enterJoint(input: ChangerInput, autoLeave: boolean, changes: ConfChangeSingle[]): ConfChangeResult {
  if (isJoint(input.config)) throw new ConfChangeError('configuration is already joint');
  if (input.config.voters[0].size === 0) throw new ConfChangeError('cannot make a zero-voter configuration joint');
  const result = copyInput(input);
  result.config.voters[1] = new Set(result.config.voters[0]);
  applyChanges(result, changes, input);
  result.config.autoLeave = autoLeave;
  return validated(result);
}

/** Leaves the joint configuration. @throws ConfChangeError if not joint. */
export function leaveJoint(input: ChangerInput): ConfChangeResult {
  if (!isJoint(input.config)) throw new ConfChangeError('cannot leave a non-joint configuration');
  const result = copyInput(input);
  const { config, progress } = result;
  for (const id of config.learnersNext) {
    config.learners.add(id);
    progress.set(id, cloneProgress(progress.get(id)!, true, input.maxInflight));
  }
  config.learnersNext.clear();
  for (const id of config.voters[1]) {
    if (!config.voters[0].has(id) && !config.learners.has(id)) progress.delete(id);
  }
  config.voters[1] = new Set();
  config.autoLeave = false;
  return validated(result);
}

/**
 * Applies changes that alter the voter set by at most one member, outside a joint configuration.
 * @throws ConfChangeError when joint, when more than one voter changes, or when no voter remains.
 */
export function simple(input: ChangerInput, changes: ConfChangeSingle[]): ConfChangeResult {
  if (isJoint(input.config)) throw new ConfChangeError('cannot apply a simple change in a joint configuration');
  const result = copyInput(input);
  applyChanges(result, changes, input);
  const before = input.config.voters[0];
  const after = result.config.voters[0];
  let delta = 0;
  for (const id of before) if (!after.has(id)) delta++;
  for (const id of after) if (!before.has(id)) delta++;
  if (delta > 1) throw new ConfChangeError('more than one voter changed without entering a joint configuration');
  return validated(result);
}

/** Builds the configuration described by a ConfState (restart or snapshot restore). */
export function restoreFromConfState(cs: ConfState, lastIndex: number, maxInflight: number): ConfChangeResult {
  const result: ConfChangeResult = { config: emptyConfig(), progress: new Map() };
  const input = { lastIndex, maxInflight };
  for (const id of cs.voters) addProgress(result, id, false, input);
  for (const id of cs.votersOutgoing) addProgress(result, id, false, input);
  for (const id of cs.learners) addProgress(result, id, true, input);
  for (const id of cs.learnersNext) addProgress(result, id, false, input);
  result.config.voters[0] = new Set(cs.voters);
  result.config.voters[1] = new Set(cs.votersOutgoing);
  result.config.learners = new Set(cs.learners);
  result.config.learnersNext = new Set(cs.learnersNext);
  result.config.autoLeave = cs.autoLeave;
  return validated(result);
}

function addProgress(
  result: ConfChangeResult, id: NodeId, isLearner: boolean, input: { lastIndex: number; maxInflight: number },
): void {
  if (result.progress.has(id)) return;
  const pr = new Progress({ next: Math.max(input.lastIndex, 1), maxInflight: input.maxInflight, isLearner });
  // A new peer is presumed active so that check-quorum does not immediately step the leader down.
  pr.recentActive = true;
  result.progress.set(id, pr);
}

function applyChanges(result: ConfChangeResult, changes: ConfChangeSingle[], input: ChangerInput): void {
  for (const change of changes) {
    if (change.nodeId === 0n) continue;
    switch (change.type) {
      case ConfChangeType.AddNode: makeVoter(result, change.nodeId, input); break;
      case ConfChangeType.AddLearnerNode: makeLearner(result, change.nodeId, input); break;
      case ConfChangeType.RemoveNode: removeMember(result, change.nodeId); break;
      case ConfChangeType.UpdateNode: break;
      default: throw new ConfChangeError(`unknown conf change type ${String(change.type)}`);
    }
  }
  if (result.config.voters[0].size === 0) throw new ConfChangeError('removed all voters');
}

function makeVoter(result: ConfChangeResult, id: NodeId, input: ChangerInput): void {
  const { config, progress } = result;
  const existing = progress.get(id);
  if (existing === undefined) addProgress(result, id, false, input);
  else if (existing.isLearner) progress.set(id, cloneProgress(existing, false, input.maxInflight));
  config.learners.delete(id);
  config.learnersNext.delete(id);
  config.voters[0].add(id);
}

function makeLearner(result: ConfChangeResult, id: NodeId, input: ChangerInput): void {
  const { config, progress } = result;
  const existing = progress.get(id);
  if (existing === undefined) {
    addProgress(result, id, true, input);
    config.learners.add(id);
    return;
  }
  if (existing.isLearner) return;
  config.voters[0].delete(id);
  // A voter of the outgoing half must keep voting until the joint configuration is left.
  if (config.voters[1].has(id)) {
    config.learnersNext.add(id);
  } else {
    progress.set(id, cloneProgress(existing, true, input.maxInflight));
    config.learners.add(id);
  }
}

function removeMember(result: ConfChangeResult, id: NodeId): void {
  const { config, progress } = result;
  if (!progress.has(id)) return;
  config.voters[0].delete(id);
  config.learners.delete(id);
  config.learnersNext.delete(id);
  if (!config.voters[1].has(id)) progress.delete(id);
}

function validated(result: ConfChangeResult): ConfChangeResult {
  try {
    checkInvariants(result.config, result.progress);
  } catch (error) {
    throw new ConfChangeError(`invalid configuration: ${(error as Error).message}`);
  }
  assert(result.config.voters[0].size > 0 || result.progress.size === 0, 'configuration without voters');
  return result;
}
