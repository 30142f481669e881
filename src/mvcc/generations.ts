import { assert } from '../base/assert.js';

/**
 * One key's history as a flat number array (compact: no object per revision). It is a sequence of
 * generation records `[version, createdMain, n, main1, sub1, ..., mainN, subN]` in revision order.
 * `version` counts every put of the generation ever made (compaction drops revisions, not the count),
 * `createdMain` is the revision that created it. Every record but the last is closed: its last
 * revision is the tombstone. The last record is open (the key is live) or empty (n = 0: the key is
 * deleted, or never written). A key whose only record is empty is absent from the index.
 *
 * Offsets below are array indices: a generation offset points at `version`, a revision position at
 * its `main` (the `sub` follows).
 */
export type Generations = number[];

const HEADER = 3;

/** A new history holding one put. */
export function newGenerations(main: number, sub: number): Generations {
  return [1, main, 1, main, sub];
}

/** Offset just past the generation record at `offset`. */
function recordEnd(g: Generations, offset: number): number {
  return offset + HEADER + 2 * g[offset + 2]!;
}

/** Offset of the last generation record. */
export function lastGenerationOffset(g: Generations): number {
  let offset = 0;
  for (let end = recordEnd(g, 0); end < g.length; end = recordEnd(g, offset)) offset = end;
  return offset;
}

/** True when the key is live (the last generation has revisions). */
export function isLive(g: Generations): boolean {
  return g[lastGenerationOffset(g) + 2]! > 0;
}

/** The newest revision's main (etcd's keyIndex.modified). */
export function modifiedMain(g: Generations): number {
  let lastMain = 0;
  for (let offset = 0; offset < g.length; offset = recordEnd(g, offset)) {
    const n = g[offset + 2]!;
    if (n > 0) lastMain = g[offset + HEADER + 2 * (n - 1)]!;
  }
  return lastMain;
}

/** Appends a put; asserts it is newer than every recorded revision. */
export function putRevision(g: Generations, main: number, sub: number): void {
  const offset = lastGenerationOffset(g);
  const n = g[offset + 2]!;
  assert(n === 0 || compareAt(g, g.length - 2, main, sub) < 0, 'put revision not newer than the last one');
  if (n === 0) g[offset + 1] = main;
  g[offset]!++;
  g[offset + 2] = n + 1;
  g.push(main, sub);
}

/** Appends a tombstone and opens an empty generation. Asserts the key is live. */
export function tombstoneRevision(g: Generations, main: number, sub: number): void {
  assert(isLive(g), 'tombstone of a key that is not live');
  putRevision(g, main, sub);
  g.push(0, 0, 0);
}

/**
 * Restore of a put whose KeyValue says the generation was created at `createdMain` and has reached
 * `version`: starts a generation with those values if the key is not live (etcd's keyIndex.restore),
 * else appends. Returns the (possibly new) history.
 */
export function restorePut(
  g: Generations | undefined, revision: { main: number; sub: number; createdMain: number; version: number },
): Generations {
  const { main, sub, createdMain, version } = revision;
  if (g === undefined) return [version, createdMain, 1, main, sub];
  const live = liveGeneration(g);
  putRevision(g, main, sub);
  if (live === undefined) {
    const offset = g.length - 5;
    g[offset] = version;
    g[offset + 1] = createdMain;
  }
  return g;
}

/** The live generation's { createdMain, version } or undefined when the key is deleted. */
export function liveGeneration(g: Generations): { createdMain: number; version: number } | undefined {
  const offset = lastGenerationOffset(g);
  if (g[offset + 2] === 0) return undefined;
  return { createdMain: g[offset + 1]!, version: g[offset]! };
}

/**
 * Position of the revision visible at `atRev` (the newest put with main <= atRev in the generation
 * live at atRev), or -1 when the key did not exist at atRev (etcd's keyIndex.get/findGeneration).
 */
export function findAt(g: Generations, atRev: number): number {
  let chosen = -1;
  let chosenClosed = false;
  for (let offset = 0; offset < g.length;) {
    const end = recordEnd(g, offset);
    if (g[offset + 2]! > 0) {
      if (g[offset + HEADER]! > atRev) break;
      chosen = offset;
      chosenClosed = end < g.length;
    }
    offset = end;
  }
  if (chosen < 0) return -1;
  const lastPosition = recordEnd(g, chosen) - 2;
  if (chosenClosed && g[lastPosition]! <= atRev) return -1;
  for (let position = lastPosition; position >= chosen + HEADER; position -= 2) {
    if (g[position]! <= atRev) return position;
  }
  return -1;
}

function compareAt(g: Generations, position: number, main: number, sub: number): number {
  const m = g[position]!;
  return m !== main ? m - main : g[position + 1]! - sub;
}

/** Result of locating what compaction at `atRev` keeps (etcd's keyIndex.doCompact). */
interface CompactPoint {
  offset: number;
  keptPosition: number;
  isLast: boolean;
}

function compactPoint(g: Generations, atRev: number): CompactPoint {
  let offset = 0;
  for (;;) {
    const end = recordEnd(g, offset);
    if (end >= g.length || g[end - 2]! > atRev) break;
    offset = end;
  }
  const end = recordEnd(g, offset);
  let keptPosition = -1;
  for (let position = end - 2; position >= offset + HEADER; position -= 2) {
    if (g[position]! <= atRev) {
      keptPosition = position;
      break;
    }
  }
  return { offset, keptPosition, isLast: end >= g.length };
}

/**
 * Compacts at `atRev` (etcd's keyIndex.compact): drops generations closed at or before atRev and,
 * in the first remaining generation, revisions older than the newest one <= atRev; a generation
 * reduced to its tombstone is dropped too. `keep` receives each kept revision <= atRev.
 * Returns the new history, or undefined when nothing remains (the key leaves the index).
 */
export function compactGenerations(
  g: Generations, atRev: number, keep: (main: number, sub: number) => void,
): Generations | undefined {
  const { offset, keptPosition, isLast } = compactPoint(g, atRev);
  const n = g[offset + 2]!;
  let result: Generations;
  if (n === 0) {
    result = offset === 0 ? g : g.slice(offset);
  } else {
    const start = keptPosition === -1 ? offset + HEADER : keptPosition;
    const end = recordEnd(g, offset);
    const remaining = (end - start) / 2;
    if (remaining === 1 && !isLast) {
      result = g.slice(end);
    } else {
      if (keptPosition !== -1) keep(g[keptPosition]!, g[keptPosition + 1]!);
      result = offset === 0 && start === HEADER ? g : [g[offset]!, g[offset + 1]!, remaining, ...g.slice(start)];
    }
  }
  assert(result.length >= HEADER, 'compaction left a malformed history');
  return result.length === HEADER && result[2] === 0 ? undefined : result;
}

/** Reports the revisions <= atRev that compaction at atRev would keep (etcd's keyIndex.keep). */
export function keepGenerations(g: Generations, atRev: number, keep: (main: number, sub: number) => void): void {
  const { offset, keptPosition, isLast } = compactPoint(g, atRev);
  if (g[offset + 2] === 0 || keptPosition === -1) return;
  if (keptPosition === recordEnd(g, offset) - 2 && !isLast) return;
  keep(g[keptPosition]!, g[keptPosition + 1]!);
}

/** Calls `visit` for every revision with main >= sinceMain, oldest first. */
export function revisionsSince(g: Generations, sinceMain: number, visit: (main: number, sub: number) => void): void {
  for (let offset = 0; offset < g.length; offset = recordEnd(g, offset)) {
    const end = recordEnd(g, offset);
    for (let position = offset + HEADER; position < end; position += 2) {
      if (g[position]! >= sinceMain) visit(g[position]!, g[position + 1]!);
    }
  }
}
