/**
 * The Ready loop with a scripted node: the bounded-delay commit broadcast
 * (docs/design/0012-deferred-commit-broadcast.md, node:test mock timers: a held-back commit index goes out
 * COMMIT_BROADCAST_DELAY_MS after the Ready that left it pending, unless an append carried it first), and
 * the check phase let through before a leader's WAL save and before a follower's apply
 * (docs/design/0013-wal-blocking-fsync.md).
 */
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RawNodeApi } from '../raft/api.js';
import { MemoryStorage } from '../raft/memory-storage.js';
import { StateType, type Entry, type Message, type Ready } from '../raft/types.js';
import type { Wal } from '../wal/wal.js';
import { COMMIT_BROADCAST_DELAY_MS, RaftDriver, type RaftDriverHooks } from './raft-driver.js';

/** A node whose Readys are empty unless `next` is set; the test sets whether a broadcast is pending. */
class ScriptedNode {
  queuedReadys = 0;
  pending = false;
  broadcasts = 0;
  next: Ready | undefined;
  hasReady(): boolean { return this.queuedReadys > 0; }
  ready(): Ready {
    this.queuedReadys--;
    const rd = this.next ?? { entries: [], committedEntries: [], messages: [], readStates: [], mustSync: false };
    this.next = undefined;
    return rd;
  }
  advance(): void { /* nothing to acknowledge */ }
  tick(): void { /* logical time is not needed here */ }
  commitBroadcastPending(): boolean { return this.pending; }
  broadcastCommit(): void {
    this.broadcasts++;
    this.pending = false;
  }
}

/** What the loop did, in order; 'check' marks a check phase (a setImmediate queued by send). */
let events: string[] = [];
const noWal = {
  save: async () => { events.push('save'); }, saveSnapshot: async () => undefined,
} as unknown as Wal;
const hooks: RaftDriverHooks = {
  applyEntries: () => { events.push('apply'); }, readStates: () => undefined, softStateChanged: () => undefined,
  applySnapshot: async () => undefined, fatal: (error) => { throw error; }, afterReady: async () => undefined,
  send: () => {
    events.push('send');
    setImmediate(() => events.push('check'));
  },
};

/** Lets the loop's promises run (setImmediate is not mocked). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

let node: ScriptedNode;
let driver: RaftDriver;

beforeEach(() => {
  events = [];
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  node = new ScriptedNode();
  driver = new RaftDriver(node as unknown as RawNodeApi, new MemoryStorage(), noWal, 1_000, hooks);
  driver.start();
});

afterEach(async () => {
  await driver.stop();
  mock.timers.reset();
});

/** One Ready after which the node reports `pending`. */
async function readyLeaving(pending: boolean): Promise<void> {
  node.pending = pending;
  node.queuedReadys = 1;
  driver.wake();
  await settle();
}

test('a commit index left pending by a Ready is broadcast after the delay', async () => {
  await readyLeaving(true);
  mock.timers.tick(COMMIT_BROADCAST_DELAY_MS - 1);
  await settle();
  assert.equal(node.broadcasts, 0, 'not before the delay');
  mock.timers.tick(1);
  await settle();
  assert.equal(node.broadcasts, 1);
  mock.timers.tick(10 * COMMIT_BROADCAST_DELAY_MS);
  assert.equal(node.broadcasts, 1, 'once');
});

test('an append that carries the commit index first disarms the broadcast', async () => {
  await readyLeaving(true);
  mock.timers.tick(COMMIT_BROADCAST_DELAY_MS - 2);
  // The next proposal's append went to every follower with the commit index: nothing is pending.
  await readyLeaving(false);
  mock.timers.tick(10 * COMMIT_BROADCAST_DELAY_MS);
  await settle();
  assert.equal(node.broadcasts, 0);
});

test('the delay runs from the first Ready that left a commit index pending, not the latest', async () => {
  await readyLeaving(true);
  mock.timers.tick(COMMIT_BROADCAST_DELAY_MS - 1);
  await readyLeaving(true);
  mock.timers.tick(1);
  await settle();
  assert.equal(node.broadcasts, 1, 'steady commits do not postpone the broadcast forever');
});

const ENTRY: Entry = { term: 1, index: 1, type: 0, data: new Uint8Array(0) };
const MESSAGE = { type: 0, to: 2n } as unknown as Message;

test('a leader lets its appends be written (a check phase) before its WAL save', async () => {
  node.next = { entries: [ENTRY], committedEntries: [], messages: [MESSAGE], readStates: [], mustSync: true,
    softState: { lead: 1n, raftState: StateType.Leader } };
  node.queuedReadys = 1;
  driver.wake();
  for (let i = 0; i < 3; i++) await settle();
  assert.deepEqual(events, ['send', 'check', 'save']);
});

test('a follower lets its acknowledgements be written (a check phase) before it applies', async () => {
  node.next = { entries: [ENTRY], committedEntries: [ENTRY], messages: [MESSAGE], readStates: [], mustSync: true };
  node.queuedReadys = 1;
  driver.wake();
  for (let i = 0; i < 3; i++) await settle();
  assert.deepEqual(events, ['save', 'send', 'check', 'apply']);
});
