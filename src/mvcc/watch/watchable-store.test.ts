import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeStore, enc, openStore, tempDbPath } from '../test-util.js';
import { watchKeyRange } from './key-range.js';
import { WatchableStore } from './watchable-store.js';
import { apply, CollectingSink } from './test-support.js';

const all = { noPut: false, noDelete: false };
const range = (key: string, end = '') => watchKeyRange(enc(key), enc(end))!;

async function setup(options = {}) {
  const opened = await openStore(tempDbPath());
  const watch = new WatchableStore(() => opened.store, { syncIntervalMs: 0, ...options });
  return {
    ...opened, watch,
    async done() {
      watch.close();
      await closeStore(opened);
    },
  };
}

test('synced watchers get live events of their range, one response per revision', async () => {
  const t = await setup();
  const sinkA = new CollectingSink();
  const sinkP = new CollectingSink();
  t.watch.watch(1, range('a'), 0, all, sinkA);
  t.watch.watch(2, range('p/', 'p0'), 0, all, sinkP);
  apply(t.store, t.watch, [['a', '1']]);
  apply(t.store, t.watch, [['p/1', 'x'], ['p/2', 'y'], ['q', 'z']]);
  apply(t.store, t.watch, [['p/1', '', 'del']]);
  assert.deepEqual(sinkA.eventLines(), ['PUT a=1@2']);
  assert.deepEqual(sinkP.outputs.map((o) => o.revision), [3, 4], 'a txn is one response');
  assert.deepEqual(sinkP.eventLines(), ['PUT p/1=x@3', 'PUT p/2=y@3', 'DELETE p/1@4']);
  assert.deepEqual(t.watch.stats(), { synced: 2, unsynced: 0, slowWatcherMoves: 0, compactionCancels: 0 });
  await t.done();
});

test('a start revision in the past replays history, then continues live without gaps', async () => {
  const t = await setup({ syncBatchRevisions: 2 });
  for (let i = 0; i < 5; i++) apply(t.store, t.watch, [['k', String(i)]]); // revisions 2..6
  const sink = new CollectingSink();
  const watcher = t.watch.watch(7, range('k'), 3, all, sink);
  assert.equal(t.watch.isSynced(watcher), false);
  t.watch.syncOnce(); // 3..4
  assert.equal(t.watch.isSynced(watcher), false);
  apply(t.store, t.watch, [['k', 'live']]); // 7, while still unsynced
  t.watch.syncOnce(); // 5..6
  t.watch.syncOnce(); // 7
  assert.equal(t.watch.isSynced(watcher), true);
  apply(t.store, t.watch, [['k', 'after']]);
  assert.deepEqual(sink.eventLines(), ['PUT k=1@3', 'PUT k=2@4', 'PUT k=3@5', 'PUT k=4@6', 'PUT k=live@7', 'PUT k=after@8']);
  assert.deepEqual(sink.outputs.map((o) => o.revision), [4, 6, 7, 8], 'header revision = caught-up revision');
  await t.done();
});

test('a future start revision waits in the synced group', async () => {
  const t = await setup();
  const sink = new CollectingSink();
  t.watch.watch(1, range('k'), 4, all, sink);
  apply(t.store, t.watch, [['k', 'a']]); // 2
  apply(t.store, t.watch, [['k', 'b']]); // 3
  apply(t.store, t.watch, [['k', 'c']]); // 4
  assert.deepEqual(sink.eventLines(), ['PUT k=c@4']);
  await t.done();
});

test('a slow watcher moves to unsynced instead of blocking and later receives every event in order', async () => {
  const t = await setup();
  const slow = new CollectingSink(1);
  const fast = new CollectingSink();
  const slowWatcher = t.watch.watch(1, range('k'), 0, all, slow);
  t.watch.watch(2, range('k'), 0, all, fast);
  for (let i = 0; i < 4; i++) apply(t.store, t.watch, [['k', String(i)]]); // 2..5
  assert.equal(t.watch.isSynced(slowWatcher), false);
  assert.equal(t.watch.stats().slowWatcherMoves, 1);
  assert.equal(fast.outputs.length, 4);
  t.watch.syncOnce(); // still full: nothing moves
  assert.equal(slow.outputs.length, 1);
  slow.capacity = Number.POSITIVE_INFINITY;
  t.watch.syncOnce();
  assert.equal(t.watch.isSynced(slowWatcher), true);
  apply(t.store, t.watch, [['k', 'x']]);
  assert.deepEqual(slow.eventLines(), fast.eventLines());
  await t.done();
});

test('compaction cancels an unsynced watcher whose next revision is compacted', async () => {
  const t = await setup();
  for (let i = 0; i < 5; i++) apply(t.store, t.watch, [['k', String(i)]]); // 2..6
  t.store.compact(5);
  const sink = new CollectingSink();
  const behind = t.watch.watch(1, range('k'), 3, all, sink);
  const okSink = new CollectingSink();
  t.watch.watch(2, range('k'), 5, all, okSink);
  t.watch.syncOnce();
  assert.deepEqual(sink.outputs.map((o) => [o.canceled, o.compactRevision, o.events.length]), [[true, 5, 0]]);
  assert.deepEqual(sink.removedIds, [1]);
  assert.equal(behind.state, 'canceled');
  assert.deepEqual(okSink.eventLines(), ['PUT k=3@5', 'PUT k=4@6'], 'the compact revision itself is kept');
  assert.equal(t.watch.stats().compactionCancels, 1);
  await t.done();
});

test('filters drop events without sending empty responses', async () => {
  const t = await setup();
  const noPut = new CollectingSink();
  const noDelete = new CollectingSink();
  t.watch.watch(1, range('k'), 0, { noPut: true, noDelete: false }, noPut);
  t.watch.watch(2, range('k'), 0, { noPut: false, noDelete: true }, noDelete);
  apply(t.store, t.watch, [['k', 'v']]);
  apply(t.store, t.watch, [['k', '', 'del']]);
  assert.deepEqual(noPut.eventLines(), ['DELETE k@3']);
  assert.deepEqual(noDelete.eventLines(), ['PUT k=v@2']);
  await t.done();
});

test('a revision gap (store replaced without notify) makes synced watchers catch up from history', async () => {
  const t = await setup();
  const sink = new CollectingSink();
  t.watch.watch(1, range('k'), 0, all, sink);
  apply(t.store, undefined, [['k', 'missed']]); // 2, not announced
  apply(t.store, t.watch, [['k', 'seen']]); // 3: gap detected
  t.watch.syncOnce();
  assert.deepEqual(sink.eventLines(), ['PUT k=missed@2', 'PUT k=seen@3']);
  await t.done();
});
