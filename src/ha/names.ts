/**
 * K3s snapshot file names: `<name>-<node-name>-<unix seconds>`, plus `.zip` when compressed.
 * Retention groups snapshots by `<name>-<node-name>-` and orders them by the timestamp.
 */
import { assert } from '../base/assert.js';

/** Extension of compressed snapshots (K3s). */
export const COMPRESSED_EXTENSION = '.zip';

/** Builds a snapshot file name. Throws AssertionError on an empty name part or a bad timestamp. */
export function snapshotFileName(name: string, nodeName: string, unixSeconds: number, compressed: boolean): string {
  assert(name !== '' && nodeName !== '', 'snapshot name and node name must be non-empty');
  assert(!name.includes('/') && !nodeName.includes('/'), 'snapshot name parts must not contain /');
  assert(Number.isSafeInteger(unixSeconds) && unixSeconds >= 0, `bad snapshot timestamp ${unixSeconds}`);
  return `${name}-${nodeName}-${unixSeconds}${compressed ? COMPRESSED_EXTENSION : ''}`;
}

/** A file name parsed against one `<name>-<node>-` prefix. */
export interface ParsedSnapshotName {
  fileName: string;
  unixSeconds: number;
  compressed: boolean;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Returns the timestamp of `fileName` if it is a snapshot of `name` on `nodeName`, else undefined. */
export function parseSnapshotName(fileName: string, name: string, nodeName: string): ParsedSnapshotName | undefined {
  const pattern = new RegExp(`^${escapeRegExp(name)}-${escapeRegExp(nodeName)}-(\\d+)(\\.zip)?$`);
  const match = pattern.exec(fileName);
  if (match === null) return undefined;
  const unixSeconds = Number(match[1]);
  if (!Number.isSafeInteger(unixSeconds)) return undefined;
  return { fileName, unixSeconds, compressed: match[2] !== undefined };
}

/**
 * The names to delete so that at most `retention` snapshots of `name` on `nodeName` remain, oldest first.
 * Other files are never selected. `retention` 0 keeps everything.
 */
export function namesBeyondRetention(fileNames: readonly string[], name: string, nodeName: string,
  retention: number): string[] {
  assert(Number.isSafeInteger(retention) && retention >= 0, `bad retention ${retention}`);
  if (retention === 0) return [];
  const matching = fileNames
    .map((f) => parseSnapshotName(f, name, nodeName))
    .filter((p): p is ParsedSnapshotName => p !== undefined)
    .sort((a, b) => a.unixSeconds - b.unixSeconds || (a.fileName < b.fileName ? -1 : 1));
  return matching.slice(0, Math.max(0, matching.length - retention)).map((p) => p.fileName);
}
