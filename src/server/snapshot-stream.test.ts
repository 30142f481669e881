import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { Backend } from '../backend/backend.js';
import { tempDbPath } from '../mvcc/test-util.js';
import { backendSnapshotBytes } from '../snapshot/backend-image.js';
import { readBbolt } from '../snapshot/bbolt/reader.js';
import { appendHash, splitSnapshot, verifySnapshotHash } from '../snapshot/snapshot-file.js';
import {
  sendBackendSnapshot, sendSnapshotPages, SNAPSHOT_CHUNK_BYTES, SnapshotChunker, type SnapshotChunk,
} from './snapshot-stream.js';

const db = new Uint8Array(SNAPSHOT_CHUNK_BYTES * 2 + 4096).map((_, i) => i & 0xff);
const file = appendHash(db);

async function* pagesOf(bytes: Uint8Array, pageBytes: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += pageBytes) yield bytes.subarray(at, at + pageBytes);
}

/** A call that records messages; `slow` makes every write ask for a drain. */
type Call = Parameters<typeof sendSnapshotPages>[0];

function recordingCall(slow: boolean): { call: Call; sent: SnapshotChunk[]; ended: () => boolean } {
  const emitter = new EventEmitter();
  const sent: SnapshotChunk[] = [];
  let ended = false;
  const call = {
    cancelled: false,
    write: (chunk: SnapshotChunk) => {
      sent.push(chunk);
      if (slow) setImmediate(() => emitter.emit('drain'));
      return !slow;
    },
    end: () => { ended = true; },
    once: (event: 'drain' | 'close', listener: () => void) => emitter.once(event, listener),
  };
  return { call, sent, ended: () => ended };
}

test('chunks carry the db in 32 KiB blobs with remainingBytes, then the sha256 alone', () => {
  const chunker = new SnapshotChunker(db.length);
  const chunks = [...chunker.push(db.subarray(0, 5000)), ...chunker.push(db.subarray(5000)), ...chunker.finish()];
  assert.deepEqual(chunks.map((c) => [c.blob.length, c.remainingBytes]),
    [[SNAPSHOT_CHUNK_BYTES, SNAPSHOT_CHUNK_BYTES + 4096], [SNAPSHOT_CHUNK_BYTES, 4096], [4096, 0], [32, 0]]);
  assert.deepEqual(Buffer.concat(chunks.map((c) => c.blob)), Buffer.from(file));
});

test('sendSnapshotPages waits for drain when the peer is slow and ends the call', async () => {
  const { call, sent, ended } = recordingCall(true);
  await sendSnapshotPages(call, db.length, pagesOf(db, 4096));
  assert.equal(sent.length, 4);
  assert.ok(ended());
  assert.deepEqual(Buffer.concat(sent.map((c) => c.blob)), Buffer.from(file));
});

test('a cancelled call gets no more chunks and is not ended', async () => {
  const sent: SnapshotChunk[] = [];
  const call = {
    cancelled: false,
    write(chunk: SnapshotChunk) { sent.push(chunk); this.cancelled = true; return true; },
    end: () => { assert.fail('ended a cancelled call'); },
    once: () => undefined,
  };
  await sendSnapshotPages(call, db.length, pagesOf(db, 4096));
  assert.equal(sent.length, 1);
});

test('a backend snapshot is the committed state when it started, equal to the in-memory image', async () => {
  const backend = await Backend.open(tempDbPath());
  try {
    for (let i = 0; i < 3000; i++) backend.put('key', new Uint8Array([0, i >> 8, i & 0xff]), new Uint8Array(200).fill(i & 0xff));
    backend.put('meta', new TextEncoder().encode('consistent_index'), new Uint8Array(8));
    const expected = Buffer.from(backendSnapshotBytes(backend));
    const { call, sent, ended } = recordingCall(false);
    let commitDuring: Promise<void> | undefined;
    const write = call.write;
    call.write = (chunk) => {
      // A write committed while the snapshot runs (its read view is open) is not in it.
      if (commitDuring === undefined) {
        backend.put('key', new Uint8Array([9]), new Uint8Array(10));
        commitDuring = backend.forceCommit();
      }
      return write(chunk);
    };
    await sendBackendSnapshot(call, backend, { readChunkBytes: 16 * 1024 });
    await commitDuring;
    assert.ok(ended());
    const streamed = Buffer.concat(sent.map((c) => c.blob));
    assert.ok(streamed.equals(expected));
    const split = splitSnapshot(streamed);
    verifySnapshotHash(split, false);
    assert.equal(readBbolt(split.db).buckets.get('key')?.length, 3000);
  } finally {
    await backend.close();
  }
});

test('a defrag waits for an open read view; closing the backend ends it', async () => {
  const backend = await Backend.open(tempDbPath());
  try {
    for (let i = 0; i < 100; i++) backend.put('key', new Uint8Array([1, i]), new Uint8Array(100).fill(i));
    const view = await backend.openReadView();
    let defragged = false;
    const defrag = backend.defrag().then(() => { defragged = true; });
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(defragged, false, 'defrag finished while a view was reading the old file');
    assert.equal(view.readAfter('key', undefined, 1 << 20, 1000).length, 100);
    assert.deepEqual(view.sizesAfter('key', new Uint8Array([1, 97]), 1 << 20, 1000).map(([, size]) => size), [100, 100]);
    view.close();
    await defrag;
    const second = await backend.openReadView();
    await backend.close();
    assert.throws(() => second.readAfter('key', undefined, 1, 1), /read view is closed/);
  } finally {
    await backend.close();
  }
});
