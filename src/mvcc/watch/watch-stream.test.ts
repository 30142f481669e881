import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeStore, enc, openStore, tempDbPath } from '../test-util.js';
import { fragmentResponse } from './fragment.js';
import { apply } from './test-support.js';
import { WatchableStore } from './watchable-store.js';
import { ERR_DUPLICATE_WATCH_ID, ERR_EMPTY_WATCHER_RANGE, WatchStream, type WatchCreate } from './watch-stream.js';
import type { WatchOutput } from './watcher.js';

const create = (key: string, init: Partial<WatchCreate> = {}): WatchCreate => ({
  key: enc(key), rangeEnd: new Uint8Array(0), startRevision: 0, watchId: 0, noPut: false, noDelete: false, ...init,
});

function drain(stream: WatchStream): WatchOutput[] {
  const out: WatchOutput[] = [];
  for (let o = stream.take(); o !== undefined; o = stream.take()) out.push(o);
  return out;
}

const summary = (o: WatchOutput) =>
  `${o.watchId}:${o.created ? 'created' : ''}${o.canceled ? 'canceled' : ''}${o.cancelReason}` +
  `${o.events.map((e) => `@${e.kv!.modRevision}`).join('')}`;

async function setup(eventBufferMax?: number) {
  const opened = await openStore(tempDbPath());
  const watch = new WatchableStore(() => opened.store, { syncIntervalMs: 0 });
  let readable = 0;
  const stream = new WatchStream(watch, () => readable++, eventBufferMax);
  return {
    ...opened, watch, stream, readable: () => readable,
    async done() {
      stream.close();
      watch.close();
      await closeStore(opened);
    },
  };
}

test('ids: auto-assigned from 0, client-chosen, duplicates and empty ranges refused in-band', async () => {
  const t = await setup();
  assert.equal(t.stream.create(create('a')), 0);
  assert.equal(t.stream.create(create('a', { watchId: 5 })), 5);
  assert.equal(t.stream.create(create('a')), 1);
  assert.equal(t.stream.create(create('a', { watchId: 5 })), -1);
  assert.equal(t.stream.create(create('b', { rangeEnd: enc('a') })), -1);
  assert.equal(t.stream.create(create('a', { startRevision: -3 })), -1);
  assert.deepEqual(drain(t.stream).map(summary), [
    '0:created', '5:created', '1:created', `-1:createdcanceled${ERR_DUPLICATE_WATCH_ID}`,
    `-1:createdcanceled${ERR_EMPTY_WATCHER_RANGE}`,
    '-1:createdcanceledetcdserver: mvcc: required revision has been compacted',
  ]);
  assert.equal(t.readable(), 1, 'onReadable fires when the queue becomes non-empty');
  await t.done();
});

test('created precedes events; cancel drops queued events and answers canceled; unknown ids ignored', async () => {
  const t = await setup();
  apply(t.store, t.watch, [['k', '1']]); // 2
  const id = t.stream.create(create('k', { startRevision: 2 }));
  t.watch.syncOnce();
  apply(t.store, t.watch, [['k', '2']]); // 3
  assert.deepEqual(drain(t.stream).map(summary), ['0:created', '0:@2', '0:@3']);
  apply(t.store, t.watch, [['k', '3']]);
  assert.equal(t.stream.cancel(id), true);
  assert.equal(t.stream.cancel(id), false);
  apply(t.store, t.watch, [['k', '4']]);
  assert.deepEqual(drain(t.stream).map(summary), ['0:canceled']);
  await t.done();
});

test('progress for all only when every watcher is synced; per-watcher progress only when synced', async () => {
  const t = await setup();
  apply(t.store, t.watch, [['k', '1']]); // 2
  t.stream.create(create('k'));
  assert.equal(t.stream.requestProgressAll(), true);
  const behind = t.stream.create(create('k', { startRevision: 1 }));
  assert.equal(t.stream.requestProgress(behind), false);
  assert.equal(t.stream.requestProgressAll(), false, 'deferred while catching up');
  t.watch.syncOnce();
  assert.equal(t.stream.allSynced(), true);
  assert.equal(t.stream.requestProgressAll(), true);
  assert.equal(t.stream.requestProgress(behind), true);
  const outputs = drain(t.stream);
  assert.deepEqual(outputs.map(summary), ['0:created', '-1:', '1:created', '1:@2', '-1:', '1:']);
  assert.ok(outputs.filter((o) => !o.created).every((o) => o.revision === 2));
  await t.done();
});

test('a full event buffer turns the watcher slow; control responses still queue', async () => {
  const t = await setup(2);
  const id = t.stream.create(create('k'));
  for (let i = 0; i < 5; i++) apply(t.store, t.watch, [['k', String(i)]]);
  assert.equal(t.watch.stats().slowWatcherMoves, 1);
  assert.equal(t.stream.create(create('j')), 1, 'control responses are not bounded by the event buffer');
  assert.equal(t.stream.controlBacklog(), 2);
  assert.deepEqual(drain(t.stream).map(summary), ['0:created', '0:@2', '0:@3', '1:created']);
  t.watch.syncOnce();
  assert.deepEqual(drain(t.stream).map(summary), ['0:@4@5@6']);
  assert.equal(t.stream.cancel(id), true);
  await t.done();
});

test('fragmentResponse splits only large multi-event responses, keeping order', () => {
  const response = { events: [10, 10, 10, 10, 10], fragment: false, id: 'r' };
  const sizes = {
    responseBytes: (r: typeof response) => 5 + r.events.reduce((a, b) => a + b, 0),
    eventFieldBytes: (e: number) => e,
  };
  assert.deepEqual(fragmentResponse(response, 100, sizes), [response], 'small enough');
  assert.deepEqual(fragmentResponse({ ...response, events: [500] }, 100, sizes), [{ ...response, events: [500] }]);
  const pieces = fragmentResponse(response, 26, sizes);
  assert.deepEqual(pieces.map((p) => [p.events.length, p.fragment, p.id]),
    [[2, true, 'r'], [2, true, 'r'], [1, false, 'r']]);
  const huge = fragmentResponse({ ...response, events: [50, 50] }, 20, sizes);
  assert.deepEqual(huge.map((p) => [p.events, p.fragment]), [[[50], true], [[50], false]], 'one event per piece at least');
});

test('gauges: watchers, streams, slow watchers and pending events follow etcd\'s meaning', async () => {
  const t = await setup(1);
  const gauges = () => t.watch.gauges();
  assert.deepEqual(gauges(), { watchers: 0, streams: 1, slowWatchers: 0, pendingEvents: 0 });
  const other = new WatchStream(t.watch, () => undefined);
  const a = t.stream.create(create('k'));
  t.stream.create(create('j'));
  other.create(create('k'));
  assert.deepEqual(gauges(), { watchers: 3, streams: 2, slowWatchers: 0, pendingEvents: 0 });
  apply(t.store, t.watch, [['k', '1'], ['x', '0']]);
  assert.equal(gauges().pendingEvents, 2, 'one event queued per stream watching k');
  apply(t.store, t.watch, [['k', '2']]);
  assert.equal(gauges().slowWatchers, 1, 'the full stream\'s watcher of k fell back to catch-up');
  assert.equal(gauges().pendingEvents, 3);
  drain(t.stream);
  assert.equal(gauges().pendingEvents, 2, 'taking an output releases its events');
  t.stream.cancel(a);
  assert.equal(gauges().watchers, 2);
  other.close();
  assert.deepEqual(gauges(), { watchers: 1, streams: 1, slowWatchers: 0, pendingEvents: 0 });
  await t.done();
  assert.equal(t.watch.gauges().streams, 0);
});
