/**
 * The cluster configuration (voters, learners, joint state) plus the leader's per-peer Progress and
 * the votes of the current election.
 */
import { assert } from '../base/assert.js';
import { Progress } from './progress.js';
import {
  jointCommittedIndex, jointVoteResult, sortedIds, type JointVoters, type VoteResult,
} from './quorum.js';
import type { ConfState, NodeId } from './types.js';

/** A configuration. Invariants: voters (either half) and learners are disjoint; learnersNext is a subset
 * of the outgoing voters; autoLeave implies joint. */
export interface TrackerConfig {
  voters: [Set<NodeId>, Set<NodeId>];
  learners: Set<NodeId>;
  learnersNext: Set<NodeId>;
  autoLeave: boolean;
}

export function emptyConfig(): TrackerConfig {
  return { voters: [new Set(), new Set()], learners: new Set(), learnersNext: new Set(), autoLeave: false };
}

export function cloneConfig(config: TrackerConfig): TrackerConfig {
  return {
    voters: [new Set(config.voters[0]), new Set(config.voters[1])],
    learners: new Set(config.learners),
    learnersNext: new Set(config.learnersNext),
    autoLeave: config.autoLeave,
  };
}

export function isJoint(config: TrackerConfig): boolean {
  return config.voters[1].size > 0;
}

export function configToConfState(config: TrackerConfig): ConfState {
  return {
    voters: sortedIds(config.voters[0]),
    votersOutgoing: sortedIds(config.voters[1]),
    learners: sortedIds(config.learners),
    learnersNext: sortedIds(config.learnersNext),
    autoLeave: config.autoLeave,
  };
}

/** Checks the configuration/progress invariants. @throws AssertionError when one is broken. */
export function checkInvariants(config: TrackerConfig, progress: ReadonlyMap<NodeId, Progress>): void {
  for (const id of [...config.voters[0], ...config.voters[1], ...config.learners, ...config.learnersNext]) {
    assert(progress.has(id), `no progress for member ${id}`);
  }
  for (const id of config.learnersNext) {
    assert(config.voters[1].has(id), `${id} is in learnersNext but not an outgoing voter`);
    assert(progress.get(id)!.isLearner === false, `${id} is in learnersNext but already a learner`);
  }
  for (const id of config.learners) {
    assert(!config.voters[0].has(id) && !config.voters[1].has(id), `${id} is both learner and voter`);
    assert(progress.get(id)!.isLearner, `${id} is a learner but its progress is not`);
  }
  if (!isJoint(config)) assert(!config.autoLeave, 'autoLeave set outside a joint configuration');
}

export class ProgressTracker {
  config: TrackerConfig = emptyConfig();
  private progressMap = new Map<NodeId, Progress>();
  /** Sorted ids of progressMap, cached (iteration order must be deterministic). */
  private sortedProgressIds: NodeId[] = [];
  readonly votes = new Map<NodeId, boolean>();

  get progress(): Map<NodeId, Progress> {
    return this.progressMap;
  }

  /** Replaces the progress map (configuration changes); the map must not be mutated afterwards. */
  set progress(map: Map<NodeId, Progress>) {
    this.progressMap = map;
    this.sortedProgressIds = sortedIds(map.keys());
  }

  constructor(readonly maxInflight: number) {}

  get jointVoters(): JointVoters {
    return this.config.voters;
  }

  /** True when the configuration is exactly one voter and not joint. */
  isSingleton(): boolean {
    return this.config.voters[0].size === 1 && this.config.voters[1].size === 0;
  }

  /** All voter ids of both halves, sorted. */
  voterIds(): NodeId[] {
    return sortedIds(new Set([...this.config.voters[0], ...this.config.voters[1]]));
  }

  isVoter(id: NodeId): boolean {
    return this.config.voters[0].has(id) || this.config.voters[1].has(id);
  }

  /** Visits every peer's progress in ascending id order. */
  visit(fn: (id: NodeId, progress: Progress) => void): void {
    for (const id of this.sortedProgressIds) {
      const pr = this.progressMap.get(id);
      assert(pr !== undefined, `progress map changed without a configuration switch (${id})`);
      fn(id, pr);
    }
  }

  /** The largest index acknowledged by a quorum (of both halves when joint). */
  committed(): number {
    return jointCommittedIndex(this.config.voters, (id) => this.progress.get(id)?.match);
  }

  /** True when a quorum was recently active (the leader itself counts as active). */
  quorumActive(selfId: NodeId): boolean {
    const votes = new Map<NodeId, boolean>();
    this.visit((id, pr) => {
      if (!pr.isLearner) votes.set(id, id === selfId || pr.recentActive);
    });
    return jointVoteResult(this.config.voters, votes) === 'won';
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Records the first vote of `id` in this election (later votes of the same peer are ignored). */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, vote] of this.votes) {
      if (!this.isVoter(id)) continue;
      if (vote) granted++;
      else rejected++;
    }
    return { granted, rejected, result: jointVoteResult(this.config.voters, this.votes) };
  }

  confState(): ConfState {
    return configToConfState(this.config);
  }
}
