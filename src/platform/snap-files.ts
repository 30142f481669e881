/**
 * Raft snapshot metadata files: `<snap-dir>/<term:016x>-<index:016x>.snap`. tetcd's state machine image
 * is the backend itself (its consistent index is always >= the snapshot index when a file is written),
 * so a file records only index, term and membership. Each file is JSON followed by a CRC32C line, written
 * to a temp file, fsynced and renamed, so a crash never leaves a half-written file under the real name.
 * One format for the server (src/server/snap-store.ts re-exports it) and offline restore (src/snapshot).
 */
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crashPoint } from './crash-points.js';
import { assert } from '../base/assert.js';
import { crc32c } from '../base/crc32c.js';
import { CorruptionError } from '../base/errors.js';

/** The membership a snapshot records (structurally raft's ConfState; platform may not import raft). */
export interface SnapConfState {
  voters: bigint[];
  learners: bigint[];
  votersOutgoing: bigint[];
  learnersNext: bigint[];
  autoLeave: boolean;
}

/** What one metadata file records. */
export interface SnapMetadata { index: number; term: number; confState: SnapConfState }

const NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;
const encoder = new TextEncoder();

/**
 * Writes the metadata file for `meta` into `dir` (temp file, fsync unless `noFsync`, rename, directory
 * fsync); returns its name. Throws AssertionError on a non-positive index, fs errors.
 */
export async function saveSnapMetadata(dir: string, meta: SnapMetadata, noFsync: boolean): Promise<string> {
  assert(Number.isSafeInteger(meta.index) && meta.index > 0, 'snapshot index must be positive');
  const name = `${meta.term.toString(16).padStart(16, '0')}-${meta.index.toString(16).padStart(16, '0')}.snap`;
  const body = JSON.stringify({
    index: meta.index, term: meta.term,
    confState: {
      voters: meta.confState.voters.map(String), learners: meta.confState.learners.map(String),
      votersOutgoing: meta.confState.votersOutgoing.map(String),
      learnersNext: meta.confState.learnersNext.map(String), autoLeave: meta.confState.autoLeave,
    },
  });
  const text = `${body}\ncrc32c:${crc32c(encoder.encode(body)).toString(16)}\n`;
  const temp = join(dir, `${name}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text);
    if (!noFsync) await handle.sync();
  } finally {
    await handle.close();
  }
  crashPoint('snap.before-rename');
  await rename(temp, join(dir, name));
  crashPoint('snap.after-rename');
  if (!noFsync) {
    const dirHandle = await open(dir, 'r');
    try { await dirHandle.sync(); } finally { await dirHandle.close(); }
  }
  return name;
}

/** The newest snapshot metadata in `dir`, or undefined. Throws CorruptionError on a damaged file. */
export async function loadNewestSnapMetadata(dir: string): Promise<SnapMetadata | undefined> {
  const names = await listSnapFiles(dir);
  const newest = names.at(-1);
  if (newest === undefined) return undefined;
  const path = join(dir, newest);
  const text = await readFile(path, 'utf8');
  const newline = text.indexOf('\n');
  const body = text.slice(0, newline);
  const crcLine = text.slice(newline + 1).trim();
  const expected = `crc32c:${crc32c(encoder.encode(body)).toString(16)}`;
  if (newline < 0 || crcLine !== expected) throw new CorruptionError(path, 0, 'snapshot metadata checksum mismatch');
  const raw = JSON.parse(body) as { index: number; term: number; confState: Record<string, unknown> };
  const ids = (key: string): bigint[] => (raw.confState[key] as string[]).map((s) => BigInt(s));
  return {
    index: raw.index, term: raw.term,
    confState: { voters: ids('voters'), learners: ids('learners'), votersOutgoing: ids('votersOutgoing'),
      learnersNext: ids('learnersNext'), autoLeave: raw.confState['autoLeave'] === true },
  };
}

/** Snapshot file names sorted oldest first; leftover temp files are removed. */
export async function listSnapFiles(dir: string): Promise<string[]> {
  let names: string[];
  try { names = await readdir(dir); } catch { return []; }
  for (const name of names) if (name.endsWith('.snap.tmp')) await rm(join(dir, name), { force: true });
  return names.filter((n) => NAME.test(n)).sort((a, b) => {
    const ia = a.slice(17, 33);
    const ib = b.slice(17, 33);
    return ia < ib ? -1 : ia > ib ? 1 : (a < b ? -1 : 1);
  });
}

/** Removes all but the newest `keep` snapshot files (0 keeps all: etcd's --max-snapshots semantics). */
export async function purgeSnapFiles(dir: string, keep: number): Promise<void> {
  if (keep <= 0) return;
  const names = await listSnapFiles(dir);
  for (const name of names.slice(0, Math.max(0, names.length - keep))) await rm(join(dir, name), { force: true });
}
