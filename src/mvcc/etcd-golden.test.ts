import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeStore, enc, openStore, tempDbPath } from './test-util.js';

/**
 * Golden HashKV values recorded from etcd 3.4.23 (Debian's etcd-server) after the exact history
 * below, applied through its gRPC KV API (`etcdctl endpoint hashkv --rev=N`). Equal hashes mean the
 * `key` bucket holds byte-identical revision keys and KeyValue encodings, and that compaction and
 * the HashKV keep-set rules match etcd's.
 */
const ETCD_HASHKV: Array<[revision: number, hash: number]> = [[0, 2315430336], [35, 736583916], [50, 684237392]];

type Op = ['put', string, string] | ['del', string, string] | ['compact', number];

function history(): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < 60; i++) {
    ops.push(['put', `key${i % 9}`, `value-${i}-${'x'.repeat(i % 7)}`]);
    if (i % 7 === 3) ops.push(['del', `key${(i + 2) % 9}`, '']);
    if (i % 13 === 12) ops.push(['del', 'key2', 'key5']);
    if (i === 40) ops.push(['compact', 30]);
  }
  return ops;
}

test('HashKV equals etcd 3.4 for the same history (before and after compaction)', async () => {
  const opened = await openStore(tempDbPath());
  const { store } = opened;
  for (const op of history()) {
    if (op[0] === 'compact') {
      await store.compact(op[1]).done;
      continue;
    }
    const txn = store.write();
    if (op[0] === 'put') txn.put(enc(op[1]), enc(op[2]), 0n);
    else txn.deleteRange(enc(op[1]), enc(op[2]));
    txn.end();
  }
  assert.equal(store.currentRevision(), 72, 'etcd reported revision 72');
  for (const [revision, hash] of ETCD_HASHKV) {
    assert.deepEqual(store.hashByRevision(revision).hash, hash, `HashKV at ${revision}`);
    assert.equal(store.hashByRevision(revision).compactRevision, 30);
  }
  await closeStore(opened);
});
