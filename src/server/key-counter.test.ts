import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Event, Event_EventType, KeyValue } from '../proto/gen/mvccpb.js';
import type { EtcdServer } from './etcd-server.js';
import { KeyCounter } from './key-counter.js';

type Listener = (events: Event[], revision: number) => void;

/** A store stand-in: range counts `keys`, and the listener plays the apply turn. */
function fakeServer(keys: number) {
  const listeners: Listener[] = [];
  let ranges = 0;
  const server = {
    store: { range: () => { ranges++; return { kvs: [], count: keys, revision: 1 }; } },
    onEvents: (listener: Listener) => { listeners.push(listener); },
  };
  const apply = (events: Event[]): void => { for (const l of listeners) l(events, 1); };
  return { server, apply, ranges: () => ranges, setKeys: (n: number) => { keys = n; } };
}

const put = (version: number): Event => Event.create({ type: Event_EventType.PUT, kv: KeyValue.create({ version }) });
const del = (): Event => Event.create({ type: Event_EventType.DELETE, kv: KeyValue.create({}) });

test('counts once, then follows applied events: new keys, overwrites, deletes', () => {
  const fake = fakeServer(10);
  const counter = new KeyCounter(fake.server as unknown as Pick<EtcdServer, 'store' | 'onEvents'>);
  fake.apply([put(1)]);
  assert.equal(counter.count(), 10, 'events before the first count are part of that count');
  fake.apply([put(1), put(1), put(2), put(7)]);
  assert.equal(counter.count(), 12);
  fake.apply([del(), put(3), del()]);
  assert.equal(counter.count(), 10);
  assert.equal(fake.ranges(), 1, 'one index walk');
});

test('a replaced store (snapshot install) is counted again', () => {
  const fake = fakeServer(4);
  const counter = new KeyCounter(fake.server as unknown as Pick<EtcdServer, 'store' | 'onEvents'>);
  assert.equal(counter.count(), 4);
  fake.setKeys(100);
  fake.server.store = { ...fake.server.store };
  fake.apply([put(1)]);
  assert.equal(counter.count(), 100);
  assert.equal(fake.ranges(), 2);
});
