/**
 * Quorum arithmetic for majority and joint (two-majority) configurations. Pure functions over sets of
 * voter ids; no knowledge of progress or messages.
 */
import type { NodeId } from './types.js';

/** The commit index of an empty configuration: it never constrains a joint configuration's minimum. */
export const COMMIT_INDEX_UNCONSTRAINED = Number.MAX_SAFE_INTEGER;

export type VoteResult = 'won' | 'lost' | 'pending';

/** A joint configuration: [incoming voters, outgoing voters]; outgoing is empty when not joint. */
export type JointVoters = readonly [ReadonlySet<NodeId>, ReadonlySet<NodeId>];

/**
 * The largest index acknowledged by a majority of `voters`, where `matchOf` returns a voter's
 * acknowledged index (undefined counts as 0). An empty voter set yields COMMIT_INDEX_UNCONSTRAINED.
 */
export function majorityCommittedIndex(
  voters: ReadonlySet<NodeId>, matchOf: (id: NodeId) => number | undefined,
): number {
  if (voters.size === 0) return COMMIT_INDEX_UNCONSTRAINED;
  const matches: number[] = [];
  for (const id of voters) matches.push(matchOf(id) ?? 0);
  matches.sort((a, b) => b - a);
  const quorumSize = Math.floor(voters.size / 2) + 1;
  const index = matches[quorumSize - 1];
  if (index === undefined) throw new RangeError('quorum larger than voter set');
  return index;
}

/** Outcome of an election in a majority config; `votes` maps voter -> granted. Empty voters win. */
export function majorityVoteResult(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === undefined) missing++;
    else if (vote) granted++;
  }
  const quorumSize = Math.floor(voters.size / 2) + 1;
  if (granted >= quorumSize) return 'won';
  if (granted + missing >= quorumSize) return 'pending';
  return 'lost';
}

/** Commit index of a joint configuration: the minimum of both majorities. */
export function jointCommittedIndex(voters: JointVoters, matchOf: (id: NodeId) => number | undefined): number {
  return Math.min(majorityCommittedIndex(voters[0], matchOf), majorityCommittedIndex(voters[1], matchOf));
}

/** Vote outcome of a joint configuration: won only if both majorities won, lost if either lost. */
export function jointVoteResult(voters: JointVoters, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const incoming = majorityVoteResult(voters[0], votes);
  const outgoing = majorityVoteResult(voters[1], votes);
  if (incoming === outgoing) return incoming;
  if (incoming === 'lost' || outgoing === 'lost') return 'lost';
  return 'pending';
}

/** Sorted ids, for deterministic iteration (bigint comparison). */
export function sortedIds(ids: Iterable<NodeId>): NodeId[] {
  return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
