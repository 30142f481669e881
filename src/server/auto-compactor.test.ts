import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AutoCompactor, formatGoDuration, parseRetention, type CompactionTarget } from './auto-compactor.js';

function fakeStore(): CompactionTarget & { rev: number; compacted: number; calls: number[] } {
  const store = {
    rev: 1, compacted: 0, calls: [] as number[],
    currentRevision: () => store.rev,
    compactRevision: () => store.compacted,
    compact: async (revision: number) => { store.calls.push(revision); store.compacted = revision; },
  };
  return store;
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('retention parsing: bare number is hours; durations; revisions', () => {
  assert.equal(parseRetention('periodic', '1'), 3_600_000);
  assert.equal(parseRetention('periodic', '30m'), 1_800_000);
  assert.equal(parseRetention('revision', '1000'), 1000);
  // etcd 3.4's parseCompactionRetention: a duration in revision mode counts its nanoseconds as revisions.
  assert.equal(parseRetention('revision', '1h'), 3_600_000_000_000);
  assert.equal(parseRetention('periodic', '1h30m'), 5_400_000);
  assert.equal(parseRetention('periodic', '1.5h'), 5_400_000);
  assert.equal(parseRetention('periodic', '500ms'), 500);
  assert.throws(() => parseRetention('periodic', 'soon'), /time: invalid duration "soon"/);
  assert.throws(() => parseRetention('periodic', '1.5'), /time: missing unit in duration "1.5"/);
  assert.throws(() => parseRetention('periodic', '1x'), /time: unknown unit "x"/);
});

test('revision mode compacts at current - retention, only when active (leader)', async () => {
  let now = 0;
  const store = fakeStore();
  const compactor = new AutoCompactor('revision', 100, store, { nowMs: () => now, wallMs: () => now }, (e) => assert.fail(String(e)));
  store.rev = 500;
  compactor.tick();
  assert.deepEqual(store.calls, [], 'inactive compactor does nothing');
  compactor.setActive(true);
  compactor.tick();
  await settle();
  assert.deepEqual(store.calls, [400]);
  compactor.tick();
  await settle();
  assert.deepEqual(store.calls, [400], 'no compaction when nothing new to compact');
  now += 1;
  store.rev = 650;
  compactor.tick();
  await settle();
  assert.deepEqual(store.calls, [400, 550]);
});

test('periodic mode keeps about one retention window of history', async () => {
  let now = 0;
  const store = fakeStore();
  const retention = 10 * 60_000;
  const compactor = new AutoCompactor('periodic', retention, store, { nowMs: () => now, wallMs: () => now }, (e) => assert.fail(String(e)));
  compactor.setActive(true);
  const step = compactor.tickIntervalMs();
  assert.equal(step, 60_000);
  for (let minute = 0; minute < 10; minute++) {
    store.rev = 100 + minute * 10;
    compactor.tick();
    now += step;
  }
  await settle();
  assert.deepEqual(store.calls, [], 'no compaction before a full window');
  store.rev = 200;
  compactor.tick();
  await settle();
  assert.deepEqual(store.calls, [100], 'compacts to the revision seen one retention ago');
  for (let minute = 0; minute < 10; minute++) {
    now += step;
    store.rev += 10;
    compactor.tick();
  }
  await settle();
  assert.equal(store.calls.length, 2);
  assert.ok(store.calls[1]! > 100 && store.calls[1]! <= 200, `second compaction ${store.calls[1]}`);
});

test('durations print as Go does in the compactor logs', () => {
  assert.deepEqual([3_600_000, 300_000, 2500, 300, 5_400_000, 0].map(formatGoDuration),
    ['1h0m0s', '5m0s', '2.5s', '300ms', '1h30m0s', '0s']);
});
