import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '../base/crc32c.js';
import { isEtcdError } from '../base/errors.js';
import { encodeKeyValue, makeKeyValue } from './kv-codec.js';
import { encodeRevision } from './revision.js';
import type { MvccStore } from './store.js';
import { closeStore, del, enc, openStore, put, tempDbPath } from './test-util.js';

async function history(store: MvccStore, commit: () => Promise<void>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    put(store, `key${i % 7}`, `value${i}`);
    if (i % 11 === 0) await commit();
    if (i % 5 === 0) del(store, `key${(i + 3) % 7}`);
  }
  store.setConsistentIndex(100);
}

test('two stores with the same history have equal HashKV and Hash whatever the commit timing', async () => {
  const a = await openStore(tempDbPath(), { backend: { batchLimit: 3 } });
  const b = await openStore(tempDbPath(), { backend: { batchIntervalMs: 60_000 } });
  await history(a.store, () => a.backend.forceCommit());
  await history(b.store, async () => undefined);
  b.store.setConsistentIndex(200);
  assert.deepEqual(a.store.hashByRevision(0), b.store.hashByRevision(0));
  assert.deepEqual(a.store.hashByRevision(30), b.store.hashByRevision(30));
  assert.equal(a.store.hash(), b.store.hash(), 'consistent_index is ignored by Hash');
  const before = a.store.hashByRevision(40);
  await a.store.compact(35).done;
  b.store.compact(35);
  assert.equal(a.store.hashByRevision(40).hash, b.store.hashByRevision(40).hash, 'mid-compaction equals finished');
  assert.notEqual(a.store.hashByRevision(40).hash, before.hash);
  await b.store.compactionsDone();
  assert.equal(a.store.hash(), b.store.hash());
  assert.throws(() => a.store.hashByRevision(30), (e) => isEtcdError(e, 'ERR_COMPACTED'));
  assert.throws(() => a.store.hashByRevision(1000), (e) => isEtcdError(e, 'ERR_FUTURE_REV'));
  put(a.store, 'diverge', 'x');
  put(b.store, 'diverge', 'y');
  assert.notEqual(a.store.hashByRevision(0).hash, b.store.hashByRevision(0).hash);
  await closeStore(a);
  await closeStore(b);
});

test('HashKV of a one-key store is crc32c("key" + revision key + KeyValue bytes)', async () => {
  const opened = await openStore(tempDbPath());
  put(opened.store, 'foo', 'bar');
  const kv = encodeKeyValue(makeKeyValue({
    key: enc('foo'), value: enc('bar'), createRevision: 2, modRevision: 2, version: 1,
  }));
  const expected = crc32c(kv, crc32c(encodeRevision(2, 0), crc32c(enc('key'))));
  const result = opened.store.hashByRevision(0);
  assert.deepEqual(result, { hash: expected, revision: 2, compactRevision: -1, hashRevision: 2 });
  await closeStore(opened);
});
