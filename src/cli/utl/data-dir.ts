/** Locating a member's files: `<data-dir>/member/wal` and `<data-dir>/member/snap/db`. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lockHolder } from '../../platform/data-dir-lock.js';

/** WAL directory: --wal-dir when given, else <data-dir>/member/wal. */
export function walDirOf(dataDir: string, walDir: string): string {
  return walDir !== '' ? walDir : join(dataDir, 'member', 'wal');
}

/** Backend file: <data-dir>/member/snap/db. */
export function backendPathOf(dataDir: string): string {
  return join(dataDir, 'member', 'snap', 'db');
}

/** Throws Error(`<what> not found: <path>`) unless `path` exists. */
export function requireExists(path: string, what: string): void {
  if (!existsSync(path)) throw new Error(`${what} not found: ${path}`);
}

/**
 * Throws Error unless no running member holds `dataDir` (its member/tetcd.lock names a live process):
 * offline commands must not read or rewrite files a member is writing.
 */
export function requireStopped(dataDir: string): void {
  const owner = lockHolder(join(dataDir, 'member'));
  if (owner !== undefined) {
    throw new Error(`data dir ${dataDir} is in use by a running member (pid ${owner.pid}): stop it first`);
  }
}
