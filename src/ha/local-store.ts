/** Local snapshot directory: list, delete and retention pruning. */
import { readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMPRESSED_EXTENSION, namesBeyondRetention } from './names.js';

/** One snapshot as `ls` shows it (K3s's snapshot file record). */
export interface SnapshotInfo {
  /** File or object base name. */
  name: string;
  /** `file:///abs/path` or `s3://bucket/folder/name`. */
  location: string;
  sizeBytes: number;
  createdAt: Date;
  /** The node that stored it, or `s3` for S3 objects (as K3s records it). */
  nodeName: string;
  compressed: boolean;
  storage: 'local' | 's3';
}

function isSnapshotCandidate(fileName: string): boolean {
  return !fileName.startsWith('.');
}

/** Lists regular files in `dir` (temp files skipped), oldest first. A missing dir lists nothing. */
export async function listLocalSnapshots(dir: string, nodeName: string): Promise<SnapshotInfo[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: SnapshotInfo[] = [];
  for (const name of names.filter(isSnapshotCandidate)) {
    const path = resolve(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined || !info.isFile()) continue;
    out.push({
      name, location: pathToFileURL(path).href, sizeBytes: info.size, createdAt: info.mtime, nodeName,
      compressed: name.endsWith(COMPRESSED_EXTENSION), storage: 'local',
    });
  }
  return out.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.name < b.name ? -1 : 1));
}

/** Removes `dir/name`. Returns false when it did not exist (or is not a plain file name). Throws other fs errors. */
export async function deleteLocalSnapshot(dir: string, name: string): Promise<boolean> {
  if (name.includes('/') || name.startsWith('.')) return false;
  try {
    await rm(join(dir, name));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Deletes the oldest local snapshots of `name` on `nodeName` beyond `retention`. Returns the deleted names.
 * Throws fs errors as is.
 */
export async function pruneLocalSnapshots(dir: string, name: string, nodeName: string,
  retention: number): Promise<string[]> {
  const existing = await listLocalSnapshots(dir, nodeName);
  const victims = namesBeyondRetention(existing.map((s) => s.name), name, nodeName, retention);
  for (const victim of victims) await deleteLocalSnapshot(dir, victim);
  return victims;
}
