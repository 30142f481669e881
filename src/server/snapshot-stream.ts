/**
 * Maintenance.Snapshot as etcd serves it: the backend as a bbolt database (a consistent view taken in
 * one synchronous turn, so it sits between two applied entries), sent in 32 KiB `blob` chunks whose
 * `remainingBytes` counts the database bytes still to come, then one last message whose blob is the
 * sha256 of the database (remainingBytes 0). Concatenating the blobs gives the snapshot file.
 */
import { backendSnapshotBytes } from '../snapshot/backend-image.js';
import { SHA256_BYTES } from '../snapshot/snapshot-file.js';
import type { Backend } from '../backend/backend.js';

/** etcd's snapshot send buffer. */
export const SNAPSHOT_CHUNK_BYTES = 32 * 1024;

/** One message of the stream. */
export interface SnapshotChunk { remainingBytes: number; blob: Uint8Array }

/** The snapshot file (bbolt db + sha256 trailer) of `backend` at this point. Throws backend errors. */
export function snapshotFileOf(backend: Backend): Uint8Array {
  return backendSnapshotBytes(backend);
}

/** Splits a snapshot file (db + trailer) into the messages etcd sends. */
export function* snapshotChunks(file: Uint8Array): Generator<SnapshotChunk> {
  const dbBytes = file.length - SHA256_BYTES;
  for (let sent = 0; sent < dbBytes;) {
    const end = Math.min(dbBytes, sent + SNAPSHOT_CHUNK_BYTES);
    yield { remainingBytes: dbBytes - end, blob: file.subarray(sent, end) };
    sent = end;
  }
  yield { remainingBytes: 0, blob: file.subarray(dbBytes) };
}

/** The part of a server-stream call the sender needs (grpc-js and tetcd's h2 calls both fit). */
export interface SnapshotCall {
  readonly cancelled: boolean;
  write(message: SnapshotChunk): boolean;
  end(): void;
  once(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Sends `file` on `call`, waiting for 'drain' when the peer is slow; stops if the call is cancelled. */
export async function sendSnapshot(call: SnapshotCall, file: Uint8Array): Promise<void> {
  for (const chunk of snapshotChunks(file)) {
    if (call.cancelled) return;
    if (!call.write(chunk)) {
      await new Promise<void>((resolve) => {
        call.once('drain', resolve);
        call.once('close', resolve);
      });
    }
  }
  if (!call.cancelled) call.end();
}
