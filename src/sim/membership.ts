/**
 * Membership churn for the safety phase: conf changes (add learner, add voter, promote, demote, remove,
 * and two-change joint transitions such as replacing a voter) and leader transfers, proposed to the
 * current leader. Removed ids are retired and never reused (etcd never reuses member ids either).
 */
import type { Random } from '../base/random.js';
import { ConfChangeTransition, ConfChangeType, type ConfChangeSingle } from '../raft/types.js';
import type { TraceDigest } from './hash.js';
import type { SimNode } from './sim-node.js';

/** Smallest voter count a change may leave (keeps a quorum reachable after a crash). */
export const VOTERS_MIN = 3;

export class MembershipChurn {
  private readonly retired = new Set<number>();
  readonly stats = { confChanges: 0, transfers: 0 };

  constructor(private readonly random: Random, private readonly digest: TraceDigest) {}

  /**
   * Proposes one random conf change to `leader`. `spares` are nodes never started; the one added is
   * started (with an empty disk) by `startSpare`.
   */
  proposeChange(leader: SimNode, spares: readonly SimNode[], startSpare: (node: SimNode) => void): void {
    const cs = leader.confState;
    if (cs.votersOutgoing.length > 0) return;
    const candidates: ConfChangeSingle[][] = [];
    const fresh = spares.find((n) => !this.retired.has(n.idNumber));
    if (fresh !== undefined) {
      candidates.push([{ type: ConfChangeType.AddLearnerNode, nodeId: fresh.id }]);
      candidates.push([{ type: ConfChangeType.AddNode, nodeId: fresh.id }]);
    }
    for (const learner of cs.learners) {
      candidates.push([{ type: ConfChangeType.AddNode, nodeId: learner }]);
      candidates.push([{ type: ConfChangeType.RemoveNode, nodeId: learner }]);
    }
    if (cs.voters.length > VOTERS_MIN) {
      for (const voter of cs.voters) {
        candidates.push([{ type: ConfChangeType.RemoveNode, nodeId: voter }]);
        candidates.push([{ type: ConfChangeType.AddLearnerNode, nodeId: voter }]);
      }
    }
    if (fresh !== undefined && cs.voters.length >= VOTERS_MIN) {
      const victim = cs.voters[this.random.intBelow(cs.voters.length)]!;
      candidates.push([
        { type: ConfChangeType.AddNode, nodeId: fresh.id }, { type: ConfChangeType.RemoveNode, nodeId: victim },
      ]);
    }
    if (candidates.length === 0) return;
    const changes = candidates[this.random.intBelow(candidates.length)]!;
    for (const change of changes) {
      if (change.type === ConfChangeType.RemoveNode) this.retired.add(Number(change.nodeId));
      if (fresh !== undefined && change.nodeId === fresh.id) {
        this.retired.add(fresh.idNumber);
        startSpare(fresh);
      }
    }
    const transition = changes.length > 1 && this.random.float() < 0.5
      ? ConfChangeTransition.JointImplicit : ConfChangeTransition.Auto;
    leader.proposeConfChange({ transition, changes, context: new Uint8Array(0) });
    this.stats.confChanges += 1;
    this.digest.add(12, leader.idNumber, changes.length, ...changes.map((c) => c.type * 100 + Number(c.nodeId)));
  }

  /** Asks `leader` to hand leadership to a random other voter. */
  transfer(leader: SimNode): void {
    const others = leader.confState.voters.filter((v) => v !== leader.id);
    if (others.length === 0) return;
    const target = others[this.random.intBelow(others.length)]!;
    leader.transferLeader(target);
    this.stats.transfers += 1;
    this.digest.add(13, leader.idNumber, Number(target));
  }
}
