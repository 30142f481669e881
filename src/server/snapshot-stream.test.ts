import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { appendHash, splitSnapshot } from '../snapshot/snapshot-file.js';
import { sendSnapshot, SNAPSHOT_CHUNK_BYTES, snapshotChunks, type SnapshotChunk } from './snapshot-stream.js';

const db = new Uint8Array(SNAPSHOT_CHUNK_BYTES * 2 + 4096).map((_, i) => i & 0xff);
const file = appendHash(db);

test('chunks carry the db in 32 KiB blobs with remainingBytes, then the sha256 alone', () => {
  const chunks = [...snapshotChunks(file)];
  assert.deepEqual(chunks.map((c) => [c.blob.length, c.remainingBytes]),
    [[SNAPSHOT_CHUNK_BYTES, SNAPSHOT_CHUNK_BYTES + 4096], [SNAPSHOT_CHUNK_BYTES, 4096], [4096, 0], [32, 0]]);
  assert.deepEqual(Buffer.concat(chunks.map((c) => c.blob)), Buffer.from(file));
  assert.deepEqual(Buffer.from(chunks.at(-1)!.blob), Buffer.from(splitSnapshot(file).hash!));
});

test('sendSnapshot waits for drain when the peer is slow and ends the call', async () => {
  const emitter = new EventEmitter();
  const sent: SnapshotChunk[] = [];
  let ended = false;
  const call = {
    cancelled: false,
    write: (chunk: SnapshotChunk) => {
      sent.push(chunk);
      setImmediate(() => emitter.emit('drain'));
      return false;
    },
    end: () => { ended = true; },
    once: (event: 'drain' | 'close', listener: () => void) => emitter.once(event, listener),
  };
  await sendSnapshot(call, file);
  assert.equal(sent.length, 4);
  assert.ok(ended);
});

test('a cancelled call gets no more chunks and is not ended', async () => {
  const sent: SnapshotChunk[] = [];
  const call = {
    cancelled: false,
    write(chunk: SnapshotChunk) { sent.push(chunk); this.cancelled = true; return true; },
    end: () => { assert.fail('ended a cancelled call'); },
    once: () => undefined,
  };
  await sendSnapshot(call, file);
  assert.equal(sent.length, 1);
});
