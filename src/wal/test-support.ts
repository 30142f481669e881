/** Helpers shared by the WAL's unit tests (temp dirs, entries, byte surgery). Not used in production. */
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry } from '../raft/types.js';
import { readWalRecords } from './read.js';

/** A fresh temp dir; `cleanup` removes it. */
export async function tempDir(prefix = 'tetcd-wal-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A Normal entry whose data identifies it (`tag`, default "e<index>t<term>"). */
export function entry(index: number, term: number, tag?: string): Entry {
  return { index, term, type: 0, data: new TextEncoder().encode(tag ?? `e${index}t${term}`) };
}

/** Entries [from, to] at `term`. */
export function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

/** Flips bit `bit` of byte `offset` in `path`. */
export async function flipBit(path: string, offset: number, bit = 0): Promise<void> {
  const bytes = await readFile(path);
  bytes[offset] = bytes[offset]! ^ (1 << bit);
  await writeFile(path, bytes);
}

/** Appends `count` zero bytes to `path` (a preallocated or zero-filled tail). */
export async function appendZeros(path: string, count: number): Promise<void> {
  const bytes = await readFile(path);
  await writeFile(path, Buffer.concat([bytes, Buffer.alloc(count)]));
}

/** The last segment's file and where its last whole record ends (its preallocated space starts there). */
export async function recordsEnd(dir: string): Promise<{ file: string; offset: number }> {
  const last = (await readWalRecords(dir)).filter((r) => r.type !== 'tornTail').at(-1)!;
  return { file: last.file, offset: last.offset + last.sizeBytes };
}

/** Cuts the last segment's preallocated zeros off, so byte surgery can treat the file size as its end. */
export async function trimPreallocated(dir: string): Promise<void> {
  const end = await recordsEnd(dir);
  await truncate(end.file, end.offset);
}
