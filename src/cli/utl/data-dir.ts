/** Locating a member's files: `<data-dir>/member/wal` and `<data-dir>/member/snap/db`. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

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
