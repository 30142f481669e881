import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Infix of a defrag's temp data file: `<path>.defrag-<pid>-<n>` (its LMDB lock file adds `-lock`). */
export const DEFRAG_INFIX = '.defrag-';

/** The temp file name of defrag number `count` of this process for the data file at `path`. */
export function defragTempPath(path: string, count: number): string {
  return `${path}${DEFRAG_INFIX}${process.pid}-${count}`;
}

/**
 * Removes `<path>.defrag-*` temp files and their lock files left by an interrupted defrag (call before
 * opening `path`: the data file at `path` is then the complete old or new one). Throws fs errors.
 */
export function removeDefragLeftovers(path: string): void {
  const directory = dirname(path);
  if (!existsSync(directory)) return;
  const prefix = basename(path) + DEFRAG_INFIX;
  for (const name of readdirSync(directory)) {
    if (name.startsWith(prefix)) rmSync(join(directory, name), { force: true });
  }
}

/**
 * Removes the LMDB lock file of a CLOSED environment that was opened at a defrag temp path (its data
 * file has since been renamed over `path`), so repeated defrags do not leave one lock file each. The
 * lock file of `path` itself is kept. Throws fs errors other than a missing file.
 */
export function removeClosedDefragLock(path: string, closedEnvPath: string): void {
  if (closedEnvPath === path || !basename(closedEnvPath).startsWith(basename(path) + DEFRAG_INFIX)) return;
  rmSync(`${closedEnvPath}-lock`, { force: true });
}
