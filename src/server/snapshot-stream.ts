/**
 * Maintenance.Snapshot as etcd serves it, streamed: the backend's committed data (one LMDB read
 * transaction, so a consistent point between two applied entries) written as a bbolt database page by
 * page (src/snapshot/bbolt/stream-writer.ts), sent in 32 KiB `blob` messages whose `remainingBytes`
 * counts the database bytes still to come, then one last message whose blob is the sha256 of the
 * database (remainingBytes 0). Concatenating the blobs gives the snapshot file. The database is never
 * held in memory: at most one read chunk, one page and the gRPC send buffer are.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Backend } from '../backend/backend.js';
import { streamBackendDb } from '../snapshot/backend-image.js';
import type { StreamWriteOptions } from '../snapshot/bbolt/stream-writer.js';

/** etcd's snapshot send buffer. */
export const SNAPSHOT_CHUNK_BYTES = 32 * 1024;

/** One message of the stream. */
export interface SnapshotChunk { remainingBytes: number; blob: Uint8Array }

/** The part of a server-stream call the sender needs (grpc-js and tetcd's h2 calls both fit). */
export interface SnapshotCall {
  readonly cancelled: boolean;
  write(message: SnapshotChunk): boolean;
  end(): void;
  once(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Cuts a byte stream of known total size into SNAPSHOT_CHUNK_BYTES messages, hashing as it goes. */
export class SnapshotChunker {
  private readonly hash: Hash = createHash('sha256');
  private blob = new Uint8Array(SNAPSHOT_CHUNK_BYTES);
  private filled = 0;
  private remainingBytes: number;

  constructor(totalBytes: number) {
    this.remainingBytes = totalBytes;
  }

  /**
   * The full messages `bytes` completes. Whole 32 KiB runs of `bytes` are sent as views without a copy,
   * so `bytes` must not be changed afterwards.
   */
  push(bytes: Uint8Array): SnapshotChunk[] {
    const out: SnapshotChunk[] = [];
    for (let at = 0; at < bytes.length;) {
      if (this.filled === 0 && bytes.length - at >= SNAPSHOT_CHUNK_BYTES) {
        out.push(this.emit(bytes.subarray(at, at + SNAPSHOT_CHUNK_BYTES)));
        at += SNAPSHOT_CHUNK_BYTES;
        continue;
      }
      const take = Math.min(bytes.length - at, SNAPSHOT_CHUNK_BYTES - this.filled);
      this.blob.set(bytes.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === SNAPSHOT_CHUNK_BYTES) out.push(this.flush());
    }
    return out;
  }

  /** The last partial message (if any) and the sha256 trailer message. */
  finish(): SnapshotChunk[] {
    const out = this.filled > 0 ? [this.flush()] : [];
    out.push({ remainingBytes: 0, blob: this.hash.digest() });
    return out;
  }

  private flush(): SnapshotChunk {
    const blob = this.blob.subarray(0, this.filled);
    this.blob = new Uint8Array(SNAPSHOT_CHUNK_BYTES);
    this.filled = 0;
    return this.emit(blob);
  }

  private emit(blob: Uint8Array): SnapshotChunk {
    this.hash.update(blob);
    this.remainingBytes -= blob.length;
    return { remainingBytes: this.remainingBytes, blob };
  }
}

/** Writes `chunk`; waits for 'drain' when the peer is slow. Resolves false once the call is cancelled. */
async function write(call: SnapshotCall, chunk: SnapshotChunk): Promise<boolean> {
  if (call.cancelled) return false;
  if (!call.write(chunk)) {
    await new Promise<void>((resolve) => {
      call.once('drain', resolve);
      call.once('close', resolve);
    });
  }
  return !call.cancelled;
}

/** Sends `pages` (a bbolt db of `sizeBytes`) plus its sha256 on `call`; stops if the call is cancelled. */
export async function sendSnapshotPages(call: SnapshotCall, sizeBytes: number,
  pages: AsyncIterable<Uint8Array>): Promise<void> {
  const chunker = new SnapshotChunker(sizeBytes);
  for await (const page of pages) {
    for (const chunk of chunker.push(page)) if (!await write(call, chunk)) return;
  }
  for (const chunk of chunker.finish()) if (!await write(call, chunk)) return;
  call.end();
}

/**
 * Streams the committed contents of `backend` as a snapshot on `call` (commits pending writes first).
 * Throws backend errors; the read view is always closed.
 */
export async function sendBackendSnapshot(call: SnapshotCall, backend: Backend,
  options: StreamWriteOptions = {}): Promise<void> {
  const view = await backend.openReadView();
  try {
    const db = await streamBackendDb(view, options);
    await sendSnapshotPages(call, db.sizeBytes, db.pages);
  } finally {
    view.close();
  }
}
