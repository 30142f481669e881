/**
 * Raft safety checkers, fed by the simulator as events happen. Each check throws SimFailure on the first
 * violation, naming the property and the nodes involved:
 *  - election safety: at most one leader per term, over the whole history (leaders are seen through
 *    their Ready soft state and through the leader-only messages they send);
 *  - vote safety: a node grants at most one (non-pre-)vote per term, even across crashes;
 *  - log matching: entries with equal index and term are identical, and logs agree before such a point;
 *  - leader completeness: an entry committed in term C is in the log of every leader of a term > C;
 *  - state machine safety: no two nodes apply different entries at an index (a hash chain over all
 *    applied entries is compared, so snapshots are covered too);
 *  - monotonicity: commit and applied never decrease within an incarnation of a node, and the durable
 *    term and commit never decrease across crashes.
 */
import { EntryType } from '../raft/types.js';
import type { Entry, HardState } from '../raft/types.js';
import { entryFingerprint } from './hash.js';

/** A violated property. Thrown by checkers and caught by the simulator, which reports the seed. */
export class SimFailure extends Error {
  override readonly name = 'SimFailure';
  constructor(readonly checker: string, detail: string) {
    super(`${checker}: ${detail}`);
  }
}

/** The log of a leader as seen when it was first observed: terms of entries [firstIndex, lastIndex]. */
export interface LeaderLog {
  node: number;
  term: number;
  firstIndex: number;
  terms: number[];
}

interface AppliedRecord {
  node: number;
  term: number;
  fingerprint: number;
  chain: number;
}

export class SafetyChecker {
  private readonly leaders = new Map<number, number>();
  private readonly votes = new Map<string, number>();
  private readonly entriesByIndexTerm = new Map<string, number>();
  private readonly applied = new Map<number, AppliedRecord>();
  private readonly chainAt = new Map<number, number>();
  private readonly durable = new Map<number, HardState>();
  private readonly leaderLogs: LeaderLog[] = [];

  /** Election safety. `how` says how the leader was seen (for the report). */
  observeLeader(term: number, node: number, how: string): void {
    const existing = this.leaders.get(term);
    if (existing === undefined) {
      this.leaders.set(term, node);
      return;
    }
    if (existing !== node) {
      throw new SimFailure('election-safety', `term ${term} has two leaders: ${existing} and ${node} (seen via ${how})`);
    }
  }

  /** Vote safety: `voter` granted its vote in `term` to `candidate`. */
  observeVoteGranted(voter: number, term: number, candidate: number): void {
    const key = `${voter}:${term}`;
    const existing = this.votes.get(key);
    if (existing === undefined) {
      this.votes.set(key, candidate);
      return;
    }
    if (existing !== candidate) {
      throw new SimFailure('vote-safety', `node ${voter} voted for ${existing} and ${candidate} in term ${term}`);
    }
  }

  /** Log matching (first half): every entry ever appended with a given (index, term) has the same payload. */
  observeAppended(node: number, entries: readonly Entry[]): void {
    for (const e of entries) {
      const key = `${e.index}:${e.term}`;
      const fingerprint = entryFingerprint(e.term, e.index, e.type, e.data);
      const existing = this.entriesByIndexTerm.get(key);
      if (existing === undefined) this.entriesByIndexTerm.set(key, fingerprint);
      else if (existing !== fingerprint) {
        throw new SimFailure('log-matching', `node ${node} appended a different entry at index ${e.index} term ${e.term}`);
      }
    }
  }

  /** State machine safety: `node` applied `entry`, reaching hash chain value `chain`. */
  observeApplied(node: number, entry: Entry, chain: number): void {
    const fingerprint = entryFingerprint(entry.term, entry.index, entry.type, entry.data);
    const existing = this.applied.get(entry.index);
    if (existing === undefined) {
      this.applied.set(entry.index, { node, term: entry.term, fingerprint, chain });
    } else if (existing.fingerprint !== fingerprint) {
      const what = entry.type === EntryType.Normal ? 'normal' : 'conf-change';
      throw new SimFailure('state-machine-safety', `index ${entry.index}: node ${existing.node} applied term ` +
        `${existing.term}, node ${node} applied a different ${what} entry of term ${entry.term}`);
    }
    this.observeChain(node, entry.index, chain);
  }

  /** State machine safety across snapshots: the state at `index` must have one history hash. */
  observeChain(node: number, index: number, chain: number): void {
    const existing = this.chainAt.get(index);
    if (existing === undefined) this.chainAt.set(index, chain);
    else if (existing !== chain) {
      throw new SimFailure('state-machine-safety', `node ${node} reached index ${index} through a different history`);
    }
  }

  /** Durable monotonicity across crashes: what `node` fsynced must never move term or commit back. */
  observeDurable(node: number, hardState: HardState): void {
    const before = this.durable.get(node);
    if (before !== undefined) {
      if (hardState.term < before.term) {
        throw new SimFailure('durable-monotonic', `node ${node} durable term ${before.term} -> ${hardState.term}`);
      }
      if (hardState.commit < before.commit) {
        throw new SimFailure('durable-monotonic', `node ${node} durable commit ${before.commit} -> ${hardState.commit}`);
      }
    }
    this.durable.set(node, { ...hardState });
  }

  /** Records a leader's log for the leader-completeness check at the end of the run. */
  observeLeaderLog(log: LeaderLog): void {
    this.leaderLogs.push(log);
  }

  /**
   * Leader completeness, checked once the run has converged (so every committed index was applied by
   * someone). For committed index i let C(i) be the highest term of any committed entry at index >= i; the
   * entry at i was committed in a term <= C(i), so every leader of a term > C(i) must hold it.
   */
  checkLeaderCompleteness(): void {
    const indexes = [...this.applied.keys()].sort((a, b) => b - a);
    const commitTermBound = new Map<number, number>();
    let running = 0;
    for (const index of indexes) {
      running = Math.max(running, this.applied.get(index)!.term);
      commitTermBound.set(index, running);
    }
    for (const log of this.leaderLogs) {
      const lastIndex = log.firstIndex + log.terms.length - 1;
      for (const index of indexes) {
        if (commitTermBound.get(index)! >= log.term || index < log.firstIndex) continue;
        const record = this.applied.get(index)!;
        const held = index <= lastIndex ? log.terms[index - log.firstIndex] : undefined;
        if (held !== record.term) {
          throw new SimFailure('leader-completeness', `leader ${log.node} of term ${log.term} has ` +
            `${held === undefined ? 'no entry' : `term ${held}`} at index ${index}, committed with term ${record.term}`);
        }
      }
    }
  }

  /** Number of distinct indexes applied anywhere (for reports). */
  get appliedIndexCount(): number {
    return this.applied.size;
  }
}

/**
 * Log matching (second half): if two logs hold an entry with the same index and term, they agree on all
 * earlier entries both still hold. `logs` maps node -> terms of entries [firstIndex, ...].
 */
export function checkLogMatching(logs: ReadonlyMap<number, { firstIndex: number; terms: number[] }>): void {
  const nodes = [...logs.keys()].sort((a, b) => a - b);
  for (let x = 0; x < nodes.length; x++) {
    for (let y = x + 1; y < nodes.length; y++) {
      const a = logs.get(nodes[x]!)!;
      const b = logs.get(nodes[y]!)!;
      const low = Math.max(a.firstIndex, b.firstIndex);
      const high = Math.min(a.firstIndex + a.terms.length, b.firstIndex + b.terms.length) - 1;
      let matchedAt = -1;
      for (let i = high; i >= low; i--) {
        if (a.terms[i - a.firstIndex] === b.terms[i - b.firstIndex]) {
          matchedAt = i;
          break;
        }
      }
      for (let i = low; i < matchedAt; i++) {
        if (a.terms[i - a.firstIndex] !== b.terms[i - b.firstIndex]) {
          throw new SimFailure('log-matching', `nodes ${nodes[x]} and ${nodes[y]} agree at index ${matchedAt} ` +
            `but differ at ${i} (terms ${a.terms[i - a.firstIndex]} vs ${b.terms[i - b.firstIndex]})`);
        }
      }
    }
  }
}
