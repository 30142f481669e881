/**
 * Database snapshots between members: the leader sends a consistent copy of its backend with a MsgSnap
 * (Backend.copyTo); the follower stores it as `<snap-dir>/incoming-<index>.db` (fsynced) before the
 * message reaches raft, and installs it when raft hands the snapshot to the state machine: close the
 * store, rename the image over `member/snap/db`, reopen, write the snapshot metadata file.
 */
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Message } from '../raft/types.js';

export function incomingDbPath(snapDir: string, index: number): string {
  return join(snapDir, `incoming-${index.toString(16).padStart(16, '0')}.db`);
}

/** Writes the streamed image to the incoming path (temp file, fsync, rename). Throws on I/O errors. */
export async function storeIncomingDb(snapDir: string, message: Message, body: AsyncIterable<Buffer>,
  noFsync: boolean): Promise<void> {
  const index = message.snapshot?.metadata.index;
  if (index === undefined || index <= 0) throw new Error('MsgSnap without snapshot metadata');
  const final = incomingDbPath(snapDir, index);
  const temp = `${final}.tmp`;
  const out = createWriteStream(temp);
  try {
    for await (const chunk of body) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } catch (error) {
    out.destroy();
    await rm(temp, { force: true });
    throw error;
  }
  if (!noFsync) {
    const handle = await open(temp, 'r');
    try { await handle.sync(); } finally { await handle.close(); }
  }
  await rename(temp, final);
}

/** Moves a received image over the live backend path (the backend must be closed). */
export async function installIncomingDb(snapDir: string, index: number, dbPath: string): Promise<void> {
  await rm(`${dbPath}-lock`, { force: true });
  await rename(incomingDbPath(snapDir, index), dbPath);
  const dir = await open(snapDir, 'r');
  try { await dir.sync(); } finally { await dir.close(); }
}
