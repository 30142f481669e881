import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEtcdError } from '../base/errors.js';
import { EventType } from './kv-codec.js';
import { closeStore, dec, del, enc, openStore, put, show, tempDbPath } from './test-util.js';

test('put/delete follow etcd revision, version and generation rules', async () => {
  const opened = await openStore(tempDbPath());
  const { store } = opened;
  assert.equal(store.currentRevision(), 1);
  assert.equal(store.compactRevision(), -1);
  assert.equal(put(store, 'a', '1'), 2);
  assert.equal(put(store, 'a', '2'), 3);
  assert.equal(put(store, 'b', 'x'), 4);
  assert.deepEqual(show(store, 'a'), ['a=2@2/3/2']);
  assert.deepEqual(del(store, 'a'), [1, 5]);
  assert.deepEqual(del(store, 'zzz'), [0, 5], 'deleting nothing does not bump the revision');
  assert.deepEqual(show(store, 'a'), []);
  assert.equal(put(store, 'a', '3'), 6);
  assert.deepEqual(show(store, 'a'), ['a=3@6/6/1'], 'new generation after delete');
  assert.deepEqual(show(store, 'a', '', 3), ['a=2@2/3/2']);
  assert.deepEqual(show(store, 'a', '', 5), []);
  assert.deepEqual(show(store, 'a', '', 1), []);
  assert.deepEqual(show(store, 'a', '\0'), ['a=3@6/6/1', 'b=x@4/4/1']);
  assert.deepEqual(show(store, '\0', '\0', 4), ['a=2@2/3/2', 'b=x@4/4/1']);
  assert.deepEqual(show(store, 'a', 'b'), ['a=3@6/6/1']);
  await closeStore(opened);
});

test('range count, limit, countOnly, keysOnly and revision errors', async () => {
  const opened = await openStore(tempDbPath());
  const { store } = opened;
  for (const key of ['k1', 'k2', 'k3', 'k4']) put(store, key, `v-${key}`);
  const limited = store.range(enc('k'), enc('l'), { limit: 2 });
  assert.deepEqual(limited.kvs.map((kv) => dec(kv.key)), ['k1', 'k2']);
  assert.equal(limited.count, 4);
  assert.equal(limited.revision, 5);
  const counted = store.range(enc('k'), enc('l'), { countOnly: true });
  assert.deepEqual([counted.kvs.length, counted.count], [0, 4]);
  const keysOnly = store.range(enc('k1'), enc(''), { keysOnly: true });
  assert.equal(keysOnly.kvs[0]!.value.length, 0);
  assert.equal(keysOnly.kvs[0]!.modRevision, 2);
  assert.throws(() => store.range(enc('k'), enc('l'), { revision: 6 }), (e) => isEtcdError(e, 'ERR_FUTURE_REV'));
  store.compact(3);
  assert.throws(() => store.range(enc('k'), enc('l'), { revision: 2 }), (e) => isEtcdError(e, 'ERR_COMPACTED'));
  assert.equal(store.range(enc('k'), enc('l'), { revision: 3 }).count, 2, 'the compact revision itself is readable');
  assert.throws(() => store.compact(3), (e) => isEtcdError(e, 'ERR_COMPACTED'));
  assert.throws(() => store.compact(99), (e) => isEtcdError(e, 'ERR_FUTURE_REV'));
  await closeStore(opened);
});

test('a write txn sees its own writes, shares one revision and returns events', async () => {
  const opened = await openStore(tempDbPath());
  const { store } = opened;
  put(store, 'x', 'old', 7n);
  const txn = store.write();
  assert.throws(() => store.write());
  const { prevKv } = txn.put(enc('x'), enc('new'), 0n);
  assert.equal(dec(prevKv!.value), 'old');
  assert.equal(prevKv!.lease, 7n);
  txn.put(enc('y'), enc('1'), 0n);
  assert.deepEqual(txn.range(enc('x'), enc('z'), {}).kvs.map((kv) => dec(kv.value)), ['new', '1']);
  assert.deepEqual(show(store, 'x', 'z'), ['x=old@2/2/1'], 'outside readers do not see an open txn');
  const deleted = txn.deleteRange(enc('y'), enc(''));
  assert.equal(deleted.deleted, 1);
  const { revision, events } = txn.end();
  assert.equal(revision, 3);
  assert.deepEqual(events.map((e) => [e.type, dec(e.kv!.key), e.kv!.modRevision]),
    [[EventType.PUT, 'x', 3], [EventType.PUT, 'y', 3], [EventType.DELETE, 'y', 3]]);
  assert.equal(events[2]!.kv!.version, 0);
  assert.deepEqual(show(store, 'x', 'z'), ['x=new@2/3/2']);
  assert.deepEqual(store.eventsBetween(2, 3).map((e) => `${e.type}:${dec(e.kv!.key)}@${e.kv!.modRevision}`),
    ['0:x@2', '0:x@3', '0:y@3', '1:y@3']);
  const empty = store.write();
  assert.equal(empty.end().revision, 3);
  await closeStore(opened);
});

test('restart restores revisions, index, consistent index, compaction and leases', async () => {
  const path = tempDbPath();
  const first = await openStore(path);
  put(first.store, 'a', '1', 5n);
  put(first.store, 'b', '1', 6n);
  put(first.store, 'a', '2', 5n);
  del(first.store, 'b');
  put(first.store, 'c', '1');
  first.store.setConsistentIndex(42, 3);
  await first.store.compact(3).done;
  const hash = first.store.hashByRevision(0);
  await closeStore(first);
  const second = await openStore(path);
  const { store } = second;
  assert.equal(store.currentRevision(), 6);
  assert.equal(store.compactRevision(), 3);
  assert.equal(store.consistentIndex(), 42);
  assert.deepEqual(show(store, '\0', '\0'), ['a=2@2/4/2', 'c=1@6/6/1']);
  assert.deepEqual(show(store, '\0', '\0', 4), ['a=2@2/4/2', 'b=1@3/3/1']);
  assert.deepEqual(store.hashByRevision(0), hash);
  assert.deepEqual(store.takeRestoredLeases().map((l) => [dec(l.key), l.lease]), [['a', 5n]]);
  assert.equal(put(store, 'a', '3'), 7);
  assert.deepEqual(show(store, 'a'), ['a=3@2/7/3']);
  await closeStore(second);
});

test('an empty revision range after compaction still restores the compacted revision', async () => {
  const path = tempDbPath();
  const first = await openStore(path);
  put(first.store, 'a', '1');
  del(first.store, 'a');
  await first.store.compact(3).done;
  await closeStore(first);
  const second = await openStore(path);
  assert.equal(second.store.currentRevision(), 3);
  assert.equal(put(second.store, 'a', 'x'), 4);
  await closeStore(second);
});

test('backend auto-commits wait for an open write txn (writes + consistent index commit together)', async () => {
  const commits: number[] = [];
  const opened = await openStore(tempDbPath(), { backend: { batchLimit: 2, onCommit: (ms) => commits.push(ms) } });
  const { store } = opened;
  const txn = store.write();
  for (let i = 0; i < 5; i++) txn.put(enc(`k${i}`), enc('v'), 0n);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(commits.length, 0, 'no commit while the txn is open');
  store.setConsistentIndex(9);
  txn.end();
  const deadline = Date.now() + 10_000;
  while (commits.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(commits.length >= 1);
  await closeStore(opened);
});

test('eventsBetween refuses compacted history', async () => {
  const opened = await openStore(tempDbPath());
  const { store } = opened;
  for (let i = 0; i < 5; i++) put(store, 'k', `${i}`);
  store.compact(4);
  assert.throws(() => store.eventsBetween(3, 6), (e) => isEtcdError(e, 'ERR_COMPACTED'));
  assert.deepEqual(store.eventsBetween(4, 6).map((e) => e.kv!.modRevision), [4, 5, 6]);
  assert.deepEqual(store.eventsBetween(4, 6, 1).map((e) => e.kv!.modRevision), [4]);
  await closeStore(opened);
});

test('compaction then defrag shrinks the file and keeps data and hashes', async () => {
  const path = tempDbPath();
  const opened = await openStore(path);
  const { store, backend } = opened;
  const big = 'v'.repeat(2000);
  for (let i = 0; i < 600; i++) put(store, `key${i % 20}`, `${i}-${big}`);
  await backend.forceCommit();
  await store.compact(store.currentRevision()).done;
  await backend.forceCommit();
  const hash = store.hashByRevision(0);
  const rows = show(store, '\0', '\0');
  const before = backend.sizeBytes();
  await backend.defrag();
  assert.ok(backend.sizeBytes() < before / 2, `size ${backend.sizeBytes()} vs ${before}`);
  assert.ok(backend.sizeInUseBytes() <= backend.sizeBytes());
  assert.deepEqual(store.hashByRevision(0), hash);
  assert.deepEqual(show(store, '\0', '\0'), rows);
  put(store, 'after', 'defrag');
  await closeStore(opened);
  const reopened = await openStore(path);
  assert.deepEqual(show(reopened.store, 'after'), ['after=defrag@602/602/1']);
  assert.equal(reopened.store.compactRevision(), 601);
  await closeStore(reopened);
});
