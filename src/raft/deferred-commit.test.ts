/**
 * Config.deferCommitBroadcast: a leader holds back a new commit index until the next append carries it
 * or broadcastCommit() is called; without the option it broadcasts at once (etcd-raft's behaviour).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/random.js';
import type { Config } from './api.js';
import { MemoryStorage, emptyConfState } from './memory-storage.js';
import { RawNode } from './raw-node.js';
import { MessageType, StateType, type Message, type Ready } from './types.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const IDS = [1n, 2n, 3n];

class Cluster {
  readonly nodes = new Map<bigint, RawNode>();
  readonly storages = new Map<bigint, MemoryStorage>();
  /** Every message delivered, in order. */
  readonly delivered: Message[] = [];

  constructor(extra: Partial<Config>) {
    for (const id of IDS) {
      const storage = new MemoryStorage();
      storage.applySnapshot({ data: new Uint8Array(0),
        metadata: { index: 1, term: 1, confState: { ...emptyConfState(), voters: IDS } } });
      this.storages.set(id, storage);
      this.nodes.set(id, new RawNode({ id, electionTick: 10, heartbeatTick: 1, storage,
        random: new SeededRandom(Number(id)), maxInflightMsgs: 16, ...extra }));
    }
  }

  node(id: bigint): RawNode {
    return this.nodes.get(id)!;
  }

  /** Handles one Ready of `id` (persist, advance) and delivers its messages. */
  handleReady(id: bigint): Ready {
    const node = this.node(id);
    const rd = node.ready();
    const storage = this.storages.get(id)!;
    storage.append(rd.entries);
    if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
    node.advance();
    for (const message of rd.messages) {
      this.delivered.push(message);
      this.node(message.to).step(message);
    }
    return rd;
  }

  /** Handles Readys and delivers their messages until nothing is left; returns what was delivered. */
  settle(): Message[] {
    const start = this.delivered.length;
    for (let progress = true; progress;) {
      progress = false;
      for (const [id, node] of this.nodes) {
        if (!node.hasReady()) continue;
        progress = true;
        this.handleReady(id);
      }
    }
    return this.delivered.slice(start);
  }

  committed(id: bigint): number {
    return this.node(id).status().hardState.commit;
  }
}

function electedCluster(extra: Partial<Config>): Cluster {
  const cluster = new Cluster(extra);
  cluster.node(1n).campaign();
  cluster.settle();
  assert.equal(cluster.node(1n).status().softState.raftState, StateType.Leader);
  return cluster;
}

const appendsToFollowers = (messages: Message[]): Message[] =>
  messages.filter((m) => m.type === MessageType.App && m.from === 1n);

test('default: the leader sends the new commit index to every follower at once', () => {
  const cluster = electedCluster({});
  cluster.node(1n).propose(enc('a'));
  const messages = cluster.settle();
  const leaderCommit = cluster.committed(1n);
  assert.equal(cluster.node(1n).commitBroadcastPending(), false);
  // One append with the entry and one empty append with the commit, per follower.
  const appends = appendsToFollowers(messages);
  assert.equal(appends.filter((m) => m.entries.length === 0 && m.commit === leaderCommit).length, 2);
  for (const id of [2n, 3n]) assert.equal(cluster.committed(id), leaderCommit);
});

test('deferred: the commit index waits for broadcastCommit(), which sends it once per follower', () => {
  const cluster = electedCluster({ deferCommitBroadcast: true });
  const leader = cluster.node(1n);
  leader.propose(enc('a'));
  const messages = cluster.settle();
  const leaderCommit = cluster.committed(1n);
  assert.equal(appendsToFollowers(messages).filter((m) => m.entries.length === 0).length, 0,
    'no empty append before broadcastCommit()');
  assert.equal(leader.commitBroadcastPending(), true);
  for (const id of [2n, 3n]) assert.ok(cluster.committed(id) < leaderCommit, 'followers do not know yet');
  leader.broadcastCommit();
  assert.equal(leader.commitBroadcastPending(), false);
  const flushed = appendsToFollowers(cluster.settle());
  assert.deepEqual(flushed.map((m) => [m.to, m.entries.length, m.commit]),
    [[2n, 0, leaderCommit], [3n, 0, leaderCommit]]);
  for (const id of [2n, 3n]) assert.equal(cluster.committed(id), leaderCommit);
  // Nothing is pending any more: a second call sends nothing.
  leader.broadcastCommit();
  assert.equal(leader.hasReady(), false);
});

test('deferred: the next proposal carries the commit index and broadcastCommit() then sends nothing', () => {
  const cluster = electedCluster({ deferCommitBroadcast: true });
  const leader = cluster.node(1n);
  leader.propose(enc('a'));
  cluster.settle();
  const firstCommit = cluster.committed(1n);
  assert.equal(leader.commitBroadcastPending(), true);
  leader.propose(enc('b'));
  const rd = cluster.handleReady(1n);
  assert.equal(rd.messages.filter((m) => m.type === MessageType.App && m.commit === firstCommit).length, 2);
  assert.equal(leader.commitBroadcastPending(), false, 'the appends of "b" carried the held-back commit index');
  const messages = appendsToFollowers([...rd.messages, ...cluster.settle()]);
  // The append of "b" carried the commit index of "a" to both followers.
  assert.ok(messages.some((m) => m.to === 2n && m.entries.length === 1 && m.commit >= firstCommit));
  assert.ok(messages.some((m) => m.to === 3n && m.entries.length === 1 && m.commit >= firstCommit));
  for (const id of [2n, 3n]) assert.ok(cluster.committed(id) >= firstCommit);
  leader.broadcastCommit();
  const flushed = appendsToFollowers(cluster.settle());
  // Only the commit of "b" (which no append carried yet) goes out.
  assert.deepEqual(flushed.map((m) => m.commit), [cluster.committed(1n), cluster.committed(1n)]);
  assert.equal(cluster.committed(2n), cluster.committed(1n));
});

test('deferred: a heartbeat carries the commit index too, and a new leader has nothing pending', () => {
  const cluster = electedCluster({ deferCommitBroadcast: true });
  const leader = cluster.node(1n);
  leader.propose(enc('a'));
  cluster.settle();
  const leaderCommit = cluster.committed(1n);
  leader.tick();
  cluster.settle();
  for (const id of [2n, 3n]) assert.equal(cluster.committed(id), leaderCommit);
  leader.broadcastCommit();
  assert.equal(appendsToFollowers(cluster.settle()).length, 0, 'heartbeats already carried the commit');
  // Leadership moves: the old leader's pending mark does not survive the step-down.
  leader.propose(enc('b'));
  cluster.settle();
  assert.equal(leader.commitBroadcastPending(), true);
  leader.transferLeader(2n);
  cluster.settle();
  assert.equal(cluster.node(2n).status().softState.raftState, StateType.Leader);
  assert.equal(leader.status().softState.raftState, StateType.Follower);
  assert.equal(leader.commitBroadcastPending(), false);
});
