/**
 * A scripted nemesis that steers a 3-node cluster into the situation of the Raft paper's Figure 8, using
 * only observable state and isolations (so it is the same schedule for a correct and a buggy raft):
 *  A. a leader L1 just appended an entry e at index i that no one else has: isolate L1;
 *  B. the others elect L2, whose first entry (its empty entry, at index i) reaches no one: isolate L2 as
 *     soon as it leads, and let L1 back in;
 *  C. L1 is elected again (its log is longer) and replicates e. Once L1 has *applied* index i, isolate
 *     L1 and let L2 back in. A correct leader applies e only after an entry of its new term reached the
 *     third node, so L2 can no longer win; a leader that committed e by counting replicas applied it early,
 *     L2 wins (its last term is higher) and overwrites e: state machine safety is violated.
 *  D. heal and start over.
 * A phase that does not progress within PHASE_TICKS_MAX heals everything and restarts at A.
 */
import type { TraceDigest } from './hash.js';
import type { SimNetwork } from './network.js';
import type { SimNode } from './sim-node.js';

/** Ticks a phase may take before the script gives up on this attempt. */
export const PHASE_TICKS_MAX = 80;

type Phase = 'A' | 'B' | 'C' | 'D';

export class Figure8Script {
  private phase: Phase = 'A';
  private phaseStart = 0;
  private first: SimNode | undefined;
  private second: SimNode | undefined;
  private entryIndex = 0;
  readonly stats = { figure8Attempts: 0, figure8Completed: 0 };

  constructor(private readonly network: SimNetwork, private readonly digest: TraceDigest) {}

  step(now: number, leader: SimNode | undefined): void {
    if (now - this.phaseStart > PHASE_TICKS_MAX) this.reset(now);
    switch (this.phase) {
      case 'A':
        if (leader === undefined || leader.lastIndex <= leader.commit) return;
        this.first = leader;
        this.entryIndex = leader.lastIndex;
        this.network.isolate(leader.id);
        this.stats.figure8Attempts += 1;
        return this.enter('B', now);
      case 'B':
        if (leader === undefined || leader === this.first) return;
        this.second = leader;
        this.network.isolate(leader.id);
        this.network.rejoin(this.first!.id);
        return this.enter('C', now);
      case 'C':
        if (leader === undefined || leader !== this.first || leader.applied < this.entryIndex) return;
        this.network.isolate(leader.id);
        this.network.rejoin(this.second!.id);
        return this.enter('D', now);
      case 'D':
        if (now - this.phaseStart < PHASE_TICKS_MAX / 2) return;
        this.stats.figure8Completed += 1;
        return this.reset(now);
    }
  }

  private enter(phase: Phase, now: number): void {
    this.phase = phase;
    this.phaseStart = now;
    this.digest.add(17, phase.charCodeAt(0), this.first?.idNumber ?? 0, this.second?.idNumber ?? 0, this.entryIndex);
  }

  private reset(now: number): void {
    this.network.healAll();
    this.first = undefined;
    this.second = undefined;
    this.enter('A', now);
  }
}
