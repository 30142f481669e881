/**
 * The leader's view of one follower's log: match/next indexes and the flow-control state machine
 * probe -> replicate -> snapshot (see README.md).
 */
import { assert } from '../base/assert.js';
import { Inflights } from './inflights.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** Highest index known to be replicated on the peer. Invariant: match < next. */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressState = 'probe';
  /** Index of the snapshot in flight while in state snapshot (0 otherwise). */
  pendingSnapshot = 0;
  /** Heard from the peer since the last check-quorum round. */
  recentActive = false;
  /** In probe state: one append is outstanding, wait for its response (or a heartbeat response). */
  probeSent = false;
  /** Highest commit index sent to the peer in an append or heartbeat (deferred commit broadcast). */
  sentCommit = 0;
  isLearner: boolean;
  readonly inflights: Inflights;

  constructor(options: { next: number; maxInflight: number; isLearner: boolean }) {
    assert(options.next >= 1, `progress next must be >= 1: ${options.next}`);
    this.next = options.next;
    this.isLearner = options.isLearner;
    this.inflights = new Inflights(options.maxInflight);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pendingSnapshot = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pendingSnapshot + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** Records an acknowledgement of `index`; returns true if match advanced. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /** Pipelining: entries up to `lastSentIndex` were sent, continue after them. */
  optimisticUpdate(lastSentIndex: number): void {
    this.next = lastSentIndex + 1;
  }

  /**
   * Handles a rejected append of index `rejected` with the follower's hint. Returns false when the
   * rejection is stale (must be ignored).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), 1);
    this.probeSent = false;
    return true;
  }

  /** True when no further append may be sent now (flow control). */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe': return this.probeSent;
      case 'replicate': return this.inflights.full();
      case 'snapshot': return true;
    }
  }

  describe(): string {
    let text = `${this.state} match=${this.match} next=${this.next}`;
    if (this.isLearner) text += ' learner';
    if (this.probeSent) text += ' paused';
    if (this.pendingSnapshot > 0) text += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) text += ' inactive';
    if (this.inflights.count > 0) text += ` inflight=${this.inflights.count}`;
    if (this.inflights.full()) text += '[full]';
    return text;
  }
}
