/** RawNode behaviours not covered by the interaction scripts: limits, restart, contract assertions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssertionError } from '../base/assert.js';
import { SeededRandom } from '../base/random.js';
import { ReadOnlyOption, type Config } from './api.js';
import { MemoryStorage, emptyConfState } from './memory-storage.js';
import { makeMessage } from './messages.js';
import { RawNode } from './raw-node.js';
import { EntryType, MessageType, StateType, type Message, type Ready } from './types.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

function bootstrapped(voters: bigint[], index = 1): MemoryStorage {
  const storage = new MemoryStorage();
  const confState = { ...emptyConfState(), voters };
  storage.applySnapshot({ data: new Uint8Array(0), metadata: { index, term: 1, confState } });
  return storage;
}

function config(id: bigint, storage: MemoryStorage, extra: Partial<Config> = {}): Config {
  return {
    id, electionTick: 10, heartbeatTick: 1, storage, random: new SeededRandom(Number(id)), maxInflightMsgs: 16,
    ...extra,
  };
}

/** Persists and acknowledges one Ready the way the server does. */
function handle(node: RawNode, storage: MemoryStorage): Ready {
  const rd = node.ready();
  if (rd.snapshot !== undefined) storage.applySnapshot(rd.snapshot);
  storage.append(rd.entries);
  if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
  node.advance();
  return rd;
}

function singleLeader(extra: Partial<Config> = {}): { node: RawNode; storage: MemoryStorage } {
  const storage = bootstrapped([1n]);
  const node = new RawNode(config(1n, storage, extra));
  node.campaign();
  handle(node, storage);
  assert.equal(node.status().softState.raftState, StateType.Leader);
  return { node, storage };
}

test('a single voter commits its proposal in the same Ready', () => {
  const { node, storage } = singleLeader();
  assert.equal(node.propose(enc('a')), null);
  const rd = handle(node, storage);
  assert.deepEqual(rd.entries.map((e) => e.index), [3]);
  assert.deepEqual(rd.committedEntries.map((e) => e.index), [3]);
  assert.equal(rd.mustSync, true);
  assert.equal(rd.hardState?.commit, 3);
  assert.equal(node.hasReady(), false);
});

test('maxCommittedSizePerReady bounds committedEntries (at least one per Ready)', () => {
  const { node, storage } = singleLeader({ maxCommittedSizePerReady: 1 });
  for (const text of ['a', 'b', 'c']) node.propose(enc(text));
  const sizes: number[] = [];
  while (node.hasReady()) sizes.push(handle(node, storage).committedEntries.length);
  assert.deepEqual(sizes, [1, 1, 1]);
  assert.equal(node.status().applied, 5);
});

test('maxUncommittedEntriesSize drops proposals once the uncommitted tail is full', () => {
  const storage = bootstrapped([1n, 2n]);
  const node = new RawNode(config(1n, storage, { maxUncommittedEntriesSize: 10 }));
  node.campaign();
  handle(node, storage);
  // Become leader with node 2's (pre-)votes.
  node.step(makeMessage({ type: MessageType.PreVoteResp, from: 2n, to: 1n, term: 1 }));
  node.step(makeMessage({ type: MessageType.VoteResp, from: 2n, to: 1n, term: 1 }));
  assert.equal(node.status().softState.raftState, StateType.Leader);
  assert.equal(node.propose(enc('12345678')), null);
  assert.equal(node.propose(enc('12345678')), 'proposal-dropped');
  // Empty proposals are always accepted.
  assert.equal(node.propose(new Uint8Array(0)), null);
});

test('followers forward proposals unless disableProposalForwarding; no leader drops', () => {
  for (const disable of [false, true]) {
    const storage = bootstrapped([1n, 2n]);
    const node = new RawNode(config(2n, storage, { disableProposalForwarding: disable }));
    assert.equal(node.propose(enc('x')), 'proposal-dropped');
    node.step(makeMessage({ type: MessageType.Heartbeat, from: 1n, to: 2n, term: 1, commit: 1 }));
    handle(node, storage);
    assert.equal(node.propose(enc('x')), disable ? 'proposal-dropped' : null);
    const forwarded = disable ? [] : node.ready().messages.filter((m) => m.type === MessageType.Prop);
    assert.equal(forwarded.length, disable ? 0 : 1);
  }
});

test('contract assertions: local messages, ready before advance, empty read context', () => {
  const { node } = singleLeader();
  assert.throws(() => node.step(makeMessage({ type: MessageType.Hup, from: 1n })), AssertionError);
  node.propose(enc('a'));
  node.ready();
  assert.equal(node.hasReady(), false);
  assert.throws(() => node.ready(), AssertionError);
  node.advance();
  assert.throws(() => node.advance(), AssertionError);
  assert.throws(() => node.readIndex(new Uint8Array(0)), AssertionError);
});

test('restart from storage resumes term, vote, commit and the applied index', () => {
  const { node, storage } = singleLeader();
  node.propose(enc('a'));
  node.propose(enc('b'));
  handle(node, storage);
  const restarted = new RawNode(config(1n, storage, { applied: 3 }));
  const st = restarted.status();
  assert.deepEqual(st.hardState, { term: 1, vote: 1n, commit: 4 });
  assert.equal(st.applied, 3);
  const rd = handle(restarted, storage);
  assert.deepEqual(rd.committedEntries.map((e) => e.index), [4]);
  assert.equal(rd.hardState, undefined);
});

test('lease-based reads are answered by the leader without a heartbeat round', () => {
  const storage = bootstrapped([1n, 2n, 3n]);
  const node = new RawNode(config(1n, storage, { readOnlyOption: ReadOnlyOption.LeaseBased }));
  node.campaign();
  node.step(makeMessage({ type: MessageType.PreVoteResp, from: 2n, to: 1n, term: 1 }));
  node.step(makeMessage({ type: MessageType.VoteResp, from: 2n, to: 1n, term: 1 }));
  handle(node, storage);
  node.step(makeMessage({ type: MessageType.AppResp, from: 2n, to: 1n, term: 1, index: 2 }));
  handle(node, storage);
  node.readIndex(enc('r1'));
  const rd = handle(node, storage);
  assert.deepEqual(rd.readStates.map((rs) => rs.index), [2]);
  assert.equal(rd.messages.filter((m: Message) => m.type === MessageType.Heartbeat).length, 0);
  assert.throws(() => new RawNode(config(4n, new MemoryStorage(), {
    readOnlyOption: ReadOnlyOption.LeaseBased, checkQuorum: false,
  })), AssertionError);
});

test('commit only counts replicas for entries of the current term unless the canary flag is set', () => {
  for (const unsafe of [false, true]) {
    // Node 1 holds an uncommitted entry of term 1 at index 2 and is leader of term 3 (its own
    // term-3 entry is not yet replicated). Node 2 acknowledges index 2 only.
    const storage = bootstrapped([1n, 2n, 3n]);
    storage.append([{ index: 2, term: 1, type: EntryType.Normal, data: enc('old') }]);
    storage.setHardState({ term: 2, vote: 0n, commit: 1 });
    const node = new RawNode(config(1n, storage, { unsafeCommitPreviousTermByCounting: unsafe }));
    node.campaign();
    node.step(makeMessage({ type: MessageType.PreVoteResp, from: 2n, to: 1n, term: 3 }));
    node.step(makeMessage({ type: MessageType.VoteResp, from: 2n, to: 1n, term: 3 }));
    assert.equal(node.status().softState.raftState, StateType.Leader);
    node.step(makeMessage({ type: MessageType.AppResp, from: 2n, to: 1n, term: 3, index: 2 }));
    assert.equal(node.status().hardState.commit, unsafe ? 2 : 1);
  }
});

test('a node answers lower-term votes and appends with its term, even without pre-vote/check-quorum', () => {
  // Regression for sim SEED=91810: voter 1 missed the conf changes that removed its old peers, so its
  // campaigns never reach the current members and its term runs ahead of theirs. They must learn it from
  // its answers, or candidates and leaders of lower terms never get its vote / acknowledgements.
  const storage = bootstrapped([1n, 2n, 3n]);
  storage.setHardState({ term: 3, vote: 1n, commit: 1 });
  const node = new RawNode(config(1n, storage, { preVote: false, checkQuorum: false }));
  node.step(makeMessage({ type: MessageType.Vote, from: 4n, to: 1n, term: 2, index: 9, logTerm: 1 }));
  node.step(makeMessage({ type: MessageType.Heartbeat, from: 5n, to: 1n, term: 2, commit: 1 }));
  const replies = handle(node, storage).messages.filter((m) => m.to === 4n || m.to === 5n);
  assert.deepEqual(replies.map((m) => [m.type, m.to, m.term, m.reject]), [
    [MessageType.VoteResp, 4n, 3, true], [MessageType.AppResp, 5n, 3, false],
  ]);
  // A candidate that hears the higher term in a rejection follows it (and campaigns above it next time).
  const cStorage = bootstrapped([1n, 4n, 5n]);
  const candidate = new RawNode(config(4n, cStorage, { preVote: false, checkQuorum: false }));
  candidate.campaign();
  handle(candidate, cStorage);
  candidate.step(makeMessage({ type: MessageType.VoteResp, from: 1n, to: 4n, term: 7, reject: true }));
  assert.equal(candidate.status().softState.raftState, StateType.Follower);
  assert.equal(candidate.status().hardState.term, 7);
});
