/**
 * Segment file names (`%016x-%016x.wal`: sequence, first index) and directory listing. Also the small
 * durable-file helpers the WAL needs (fsync a directory, write a file atomically).
 */
import { open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { assert, assertSafeInteger } from '../base/assert.js';
import { CorruptionError } from '../base/errors.js';

/** Suffix of segment files; any other file in the directory is ignored. */
export const SEGMENT_SUFFIX = '.wal';
/** Suffix of a segment being created (renamed into place once durable). */
export const TEMP_SUFFIX = '.tmp';
const NAME_PATTERN = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

/** A segment file found in the WAL directory. */
export interface SegmentFile {
  seq: number;
  firstIndex: number;
  name: string;
  path: string;
}

/** The file name of segment `seq` whose first entry will be `firstIndex`. */
export function segmentName(seq: number, firstIndex: number): string {
  assertSafeInteger(seq, 'segment seq');
  assertSafeInteger(firstIndex, 'segment first index');
  assert(seq >= 0 && firstIndex >= 0, 'segment name fields are non-negative');
  return `${seq.toString(16).padStart(16, '0')}-${firstIndex.toString(16).padStart(16, '0')}${SEGMENT_SUFFIX}`;
}

/** Parses a segment file name; undefined if it is not one or a field is not a safe integer. */
export function parseSegmentName(name: string): { seq: number; firstIndex: number } | undefined {
  const match = NAME_PATTERN.exec(name);
  if (match === null) return undefined;
  const seq = Number(BigInt(`0x${match[1]!}`));
  const firstIndex = Number(BigInt(`0x${match[2]!}`));
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(firstIndex)) return undefined;
  return { seq, firstIndex };
}

/**
 * Lists the segments of `dir`, oldest first ([] if the directory does not exist). Throws
 * CorruptionError for a `.wal` file with a bad name or a gap/duplicate in the sequence numbers.
 */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const segments: SegmentFile[] = [];
  for (const name of names) {
    if (!name.endsWith(SEGMENT_SUFFIX)) continue;
    const parsed = parseSegmentName(name);
    if (parsed === undefined) throw new CorruptionError(join(dir, name), 0, 'bad segment file name');
    segments.push({ ...parsed, name, path: join(dir, name) });
  }
  segments.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < segments.length; i++) {
    const previous = segments[i - 1]!;
    const current = segments[i]!;
    if (current.seq !== previous.seq + 1) {
      throw new CorruptionError(current.path, 0, `segment sequence gap or overlap after ${previous.name}`);
    }
  }
  return segments;
}

/** Removes leftover `*.wal.tmp` files from an interrupted segment creation. Throws on I/O errors. */
export async function removeTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.endsWith(SEGMENT_SUFFIX + TEMP_SUFFIX)) await rm(join(dir, name), { force: true });
  }
}

/** fsyncs a directory so created, renamed or deleted entries are durable. Throws on I/O errors. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `path` with `bytes` atomically: writes `path.tmp`, fdatasyncs it (unless `noSync`), renames
 * it into place and fsyncs the directory. Throws on I/O errors.
 */
export async function writeFileDurable(dir: string, name: string, bytes: Uint8Array, noSync: boolean): Promise<void> {
  const finalPath = join(dir, name);
  const tempPath = finalPath + TEMP_SUFFIX;
  const handle = await open(tempPath, 'w');
  try {
    await handle.writeFile(bytes);
    if (!noSync) await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(tempPath, finalPath);
  if (!noSync) await fsyncDir(dir);
}
