/**
 * File helpers for snapshots: atomic publication (tmp + fsync + rename + directory fsync), streaming
 * sha256 of a file, and the etcd snapshot trailer check (the last 32 bytes are the sha256 of the rest).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Size of the sha256 trailer etcd appends to a snapshot stream. */
export const SNAPSHOT_TRAILER_BYTES = 32;

/** Thrown when a snapshot's content does not match its checksum. */
export class SnapshotChecksumError extends Error {
  override readonly name = 'SnapshotChecksumError';
}

/** A temp path beside `finalPath` (same directory, so rename is atomic). */
export function tempPathFor(finalPath: string): string {
  const suffix = `${process.pid}.${Date.now()}.${Math.floor(Math.random() * 1e9)}`;
  return join(dirname(finalPath), `.${basename(finalPath)}.tmp-${suffix}`);
}

/** fsyncs a file or directory by path. Throws the fs error. */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Publishes a fully written temp file: fsync it, rename over `finalPath`, fsync the directory.
 * Removes the temp file if any step fails. Throws the fs error.
 */
export async function publishAtomically(tempPath: string, finalPath: string): Promise<void> {
  try {
    await fsyncPath(tempPath);
    await rename(tempPath, finalPath);
  } catch (error) {
    await rm(tempPath, { force: true });
    throw error;
  }
  await fsyncPath(dirname(finalPath));
}

/** Streams a file through sha256. Returns the digest as lowercase hex. Throws the fs error. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Checks an etcd snapshot file: sha256 of everything but the last 32 bytes equals those 32 bytes.
 * @throws SnapshotChecksumError when the file is too short or the trailer does not match; fs errors as is.
 */
export async function verifySnapshotTrailer(path: string): Promise<void> {
  const { size } = await stat(path);
  if (size <= SNAPSHOT_TRAILER_BYTES) {
    throw new SnapshotChecksumError(`snapshot ${path} is too short (${size} bytes) to hold a sha256 trailer`);
  }
  const bodyBytes = size - SNAPSHOT_TRAILER_BYTES;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { start: 0, end: bodyBytes - 1 })) hash.update(chunk as Buffer);
  const handle = await open(path, 'r');
  const trailer = Buffer.alloc(SNAPSHOT_TRAILER_BYTES);
  try {
    await handle.read(trailer, 0, SNAPSHOT_TRAILER_BYTES, bodyBytes);
  } finally {
    await handle.close();
  }
  const digest = hash.digest();
  if (!digest.equals(trailer)) {
    throw new SnapshotChecksumError(
      `snapshot ${path} failed its sha256 check (expected ${trailer.toString('hex')}, got ${digest.toString('hex')})`);
  }
}
