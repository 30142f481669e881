import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntryType, type Entry } from '../raft/types.js';
import { checkLogMatching, SafetyChecker, SimFailure } from './safety-checker.js';

function entry(index: number, term: number, byte = 0): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array([byte]) };
}

function failsWith(checker: string, action: () => void): void {
  assert.throws(action, (error: unknown) => error instanceof SimFailure && error.checker === checker);
}

test('election safety: one leader per term', () => {
  const checker = new SafetyChecker();
  checker.observeLeader(2, 1, 'test');
  checker.observeLeader(2, 1, 'test');
  checker.observeLeader(3, 2, 'test');
  failsWith('election-safety', () => checker.observeLeader(2, 3, 'test'));
});

test('vote safety: one vote per node and term', () => {
  const checker = new SafetyChecker();
  checker.observeVoteGranted(1, 5, 2);
  checker.observeVoteGranted(1, 5, 2);
  checker.observeVoteGranted(1, 6, 3);
  failsWith('vote-safety', () => checker.observeVoteGranted(1, 5, 3));
});

test('log matching: same index and term means same entry', () => {
  const checker = new SafetyChecker();
  checker.observeAppended(1, [entry(1, 1, 7), entry(2, 1, 8)]);
  checker.observeAppended(2, [entry(2, 1, 8), entry(3, 2, 9)]);
  failsWith('log-matching', () => checker.observeAppended(3, [entry(3, 2, 10)]));
});

test('log matching: logs agreeing at an index agree before it', () => {
  checkLogMatching(new Map([[1, { firstIndex: 1, terms: [1, 1, 2, 3] }], [2, { firstIndex: 2, terms: [1, 2, 4] }]]));
  failsWith('log-matching', () => checkLogMatching(new Map([
    [1, { firstIndex: 1, terms: [1, 1, 2, 3] }],
    [2, { firstIndex: 1, terms: [1, 2, 2, 3] }],
  ])));
});

test('state machine safety: entries and history hashes must agree per index', () => {
  const checker = new SafetyChecker();
  checker.observeApplied(1, entry(2, 1, 5), 111);
  checker.observeApplied(2, entry(2, 1, 5), 111);
  failsWith('state-machine-safety', () => checker.observeApplied(3, entry(2, 2, 6), 222));
  failsWith('state-machine-safety', () => checker.observeChain(3, 2, 999));
});

test('durable term and commit never go back', () => {
  const checker = new SafetyChecker();
  checker.observeDurable(1, { term: 2, vote: 1n, commit: 5 });
  checker.observeDurable(1, { term: 3, vote: 0n, commit: 5 });
  failsWith('durable-monotonic', () => checker.observeDurable(1, { term: 3, vote: 0n, commit: 4 }));
});

test('leader completeness: later leaders hold committed entries', () => {
  const ok = new SafetyChecker();
  ok.observeApplied(1, entry(2, 1), 1);
  ok.observeApplied(1, entry(3, 3), 2);
  // Leader of term 2 lacks index 3 (committed in term 3): fine. Leader of term 4 holds both.
  ok.observeLeaderLog({ node: 2, term: 2, firstIndex: 1, terms: [1, 1] });
  ok.observeLeaderLog({ node: 3, term: 4, firstIndex: 1, terms: [1, 1, 3, 4] });
  ok.checkLeaderCompleteness();
  const bad = new SafetyChecker();
  bad.observeApplied(1, entry(2, 1), 1);
  bad.observeLeaderLog({ node: 2, term: 3, firstIndex: 1, terms: [1, 2] });
  failsWith('leader-completeness', () => bad.checkLeaderCompleteness());
});
