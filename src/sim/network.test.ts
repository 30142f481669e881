import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/random.js';
import { MessageType, type Message } from '../raft/types.js';
import { SimNetwork, type NetworkFaults } from './network.js';

const calm: NetworkFaults = {
  dropRate: 0, duplicateRate: 0, reorderRate: 0, delayTicksMax: 1, reorderDelayTicksMax: 1,
};

function message(from: number, to: number, index = 0): Message {
  return {
    type: MessageType.App, from: BigInt(from), to: BigInt(to), term: 1, logTerm: 1, index, entries: [], commit: 0,
    reject: false, rejectHint: 0, context: new Uint8Array(0),
  };
}

function deliverAll(network: SimNetwork, fromTick: number, toTick: number): Message[] {
  const out: Message[] = [];
  for (let t = fromTick; t <= toTick; t++) for (const e of network.takeDue(t)) out.push(e.message);
  return out;
}

test('calm network delivers every message one tick later, in order', () => {
  const network = new SimNetwork(new SeededRandom(1), calm);
  for (let i = 0; i < 5; i++) network.send(message(1, 2, i), 0);
  assert.equal(network.takeDue(0).length, 0);
  assert.deepEqual(network.takeDue(1).map((e) => e.message.index), [0, 1, 2, 3, 4]);
  assert.equal(network.inFlightCount, 0);
});

test('drop, duplicate and reorder rates are applied', () => {
  const seed = Number(process.env.SEED ?? 7);
  console.log('SEED=' + seed);
  const network = new SimNetwork(new SeededRandom(seed),
    { dropRate: 0.2, duplicateRate: 0.2, reorderRate: 0.3, delayTicksMax: 3, reorderDelayTicksMax: 10 });
  const sent = 2000;
  for (let i = 0; i < sent; i++) network.send(message(1, 2, i), 0);
  const got = deliverAll(network, 1, 20).map((m) => m.index);
  assert.equal(network.inFlightCount, 0);
  const distinct = new Set(got);
  assert.ok(distinct.size > sent * 0.7 && distinct.size < sent * 0.9, `kept ${distinct.size}`);
  assert.ok(got.length > distinct.size, 'some messages were duplicated');
  const inversions = got.filter((v, i) => i > 0 && v < got[i - 1]!).length;
  assert.ok(inversions > 0, 'some messages were reordered');
  assert.equal(network.stats.dropped + distinct.size, sent);
});

test('symmetric partitions block both directions, including messages already in flight', () => {
  const network = new SimNetwork(new SeededRandom(2), calm);
  network.send(message(1, 2), 0);
  network.partition([1n], [2n, 3n]);
  const dropped: Message[] = [];
  assert.equal(network.takeDue(1, (e) => dropped.push(e.message)).length, 0);
  assert.equal(dropped.length, 1);
  network.send(message(2, 1), 1);
  network.send(message(2, 3), 1);
  assert.deepEqual(network.takeDue(2).map((e) => Number(e.message.to)), [3]);
  network.heal();
  network.send(message(1, 2), 2);
  assert.equal(network.takeDue(3).length, 1);
});

test('one-way partitions and isolations', () => {
  const network = new SimNetwork(new SeededRandom(3), calm);
  network.blockOneWay(1n, 2n);
  assert.equal(network.isBlocked(1n, 2n), true);
  assert.equal(network.isBlocked(2n, 1n), false);
  network.isolate(3n);
  assert.equal(network.isBlocked(3n, 1n), true);
  assert.equal(network.isBlocked(2n, 3n), true);
  network.heal();
  assert.equal(network.isBlocked(1n, 2n), false);
  assert.equal(network.isBlocked(3n, 1n), true, 'heal() leaves isolations');
  network.rejoin(3n);
  assert.equal(network.partitioned, false);
});
