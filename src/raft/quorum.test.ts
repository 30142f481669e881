/** Quorum commit index and vote results, checked against a dumb oracle on random configurations. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/random.js';
import {
  COMMIT_INDEX_UNCONSTRAINED, jointCommittedIndex, jointVoteResult, majorityCommittedIndex, majorityVoteResult,
} from './quorum.js';

/** Oracle: the largest index i such that a majority has match >= i. */
function dumbCommitted(voters: Set<bigint>, match: Map<bigint, number>): number {
  if (voters.size === 0) return COMMIT_INDEX_UNCONSTRAINED;
  let best = 0;
  for (const candidate of [0, ...match.values()]) {
    let count = 0;
    for (const id of voters) if ((match.get(id) ?? 0) >= candidate) count++;
    if (count > voters.size / 2 && candidate > best) best = candidate;
  }
  return best;
}

function randomVoters(rng: SeededRandom): Set<bigint> {
  const voters = new Set<bigint>();
  const size = rng.intBelow(7);
  for (let i = 0; i < size; i++) voters.add(BigInt(1 + rng.intBelow(9)));
  return voters;
}

test('majority and joint committed index match the oracle', () => {
  const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
  console.log('SEED=' + seed);
  const rng = new SeededRandom(seed);
  for (let i = 0; i < 20_000; i++) {
    const incoming = randomVoters(rng);
    const outgoing = randomVoters(rng);
    const match = new Map<bigint, number>();
    for (let id = 1n; id <= 9n; id++) if (rng.float() < 0.8) match.set(id, rng.intBelow(20));
    const matchOf = (id: bigint): number | undefined => match.get(id);
    assert.equal(majorityCommittedIndex(incoming, matchOf), dumbCommitted(incoming, match));
    assert.equal(jointCommittedIndex([incoming, outgoing], matchOf),
      Math.min(dumbCommitted(incoming, match), dumbCommitted(outgoing, match)));
  }
});

test('majority vote results', () => {
  const voters = new Set([1n, 2n, 3n]);
  assert.equal(majorityVoteResult(new Set(), new Map()), 'won');
  assert.equal(majorityVoteResult(voters, new Map([[1n, true]])), 'pending');
  assert.equal(majorityVoteResult(voters, new Map([[1n, true], [2n, true]])), 'won');
  assert.equal(majorityVoteResult(voters, new Map([[1n, false], [2n, false]])), 'lost');
  assert.equal(majorityVoteResult(voters, new Map([[1n, true], [2n, false]])), 'pending');
  // Votes of non-voters do not count.
  assert.equal(majorityVoteResult(voters, new Map([[1n, true], [7n, true], [8n, true]])), 'pending');
});

test('joint vote needs both majorities', () => {
  const joint = [new Set([1n, 2n, 3n]), new Set([3n, 4n, 5n])] as const;
  assert.equal(jointVoteResult(joint, new Map([[1n, true], [2n, true]])), 'pending');
  assert.equal(jointVoteResult(joint, new Map([[1n, true], [2n, true], [4n, true], [5n, true]])), 'won');
  assert.equal(jointVoteResult(joint, new Map([[1n, true], [2n, true], [4n, false], [5n, false]])), 'lost');
  assert.equal(jointVoteResult([new Set([1n]), new Set()], new Map([[1n, true]])), 'won');
});
