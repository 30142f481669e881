/**
 * Snapshot operations shared by the scheduler and `tetcd snapshot`: take (stream from the member, verify,
 * optionally zip, publish atomically, upload to S3, apply retention), list, delete and prune.
 * An S3 failure never loses the local snapshot: it is reported in the result.
 */
import { access, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { systemClock } from '../platform/clock.js';
import { publishAtomically, tempPathFor } from './file-io.js';
import { listLocalSnapshots, deleteLocalSnapshot, pruneLocalSnapshots, type SnapshotInfo } from './local-store.js';
import { downloadMemberSnapshot } from './member-snapshot.js';
import { snapshotFileName } from './names.js';
import { SNAPSHOT_STREAM_TIMEOUT_MS_DEFAULT, type S3Options, type SnapshotOptions } from './options.js';
import type { S3SnapshotStore } from './s3-store.js';

/** The S3 store loads @aws-sdk/client-s3 (most of a second): only when S3 is configured. */
async function openS3Store(s3: S3Options): Promise<S3SnapshotStore> {
  const { S3SnapshotStore: Store } = await import('./s3-store.js');
  return new Store(s3);
}
import { zipFile } from './zip.js';

/** What one snapshot run did. */
export interface SnapshotResult {
  local: SnapshotInfo;
  /** Set when the S3 upload verified. */
  s3?: SnapshotInfo;
  /** Set when S3 was configured and the upload, verification or S3 pruning failed. */
  s3Error?: string;
  /** Names removed by retention (local and S3). */
  pruned: string[];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

async function writeLocalSnapshot(options: SnapshotOptions, baseName: string, finalPath: string,
  createdAt: Date): Promise<void> {
  const timeoutMs = options.streamTimeoutMs ?? SNAPSHOT_STREAM_TIMEOUT_MS_DEFAULT;
  if (!options.compress) {
    await downloadMemberSnapshot(options.endpoint, options.tls, finalPath, timeoutMs);
    return;
  }
  const rawPath = join(options.dir, `.${baseName}.raw`);
  const zipTemp = tempPathFor(finalPath);
  try {
    await downloadMemberSnapshot(options.endpoint, options.tls, rawPath, timeoutMs);
    await zipFile(rawPath, zipTemp, baseName, createdAt);
    await publishAtomically(zipTemp, finalPath);
  } finally {
    await rm(rawPath, { force: true });
    await rm(zipTemp, { force: true });
  }
}

/**
 * Takes one snapshot as described by `options`.
 * @throws SnapshotStreamError / SnapshotChecksumError when the member's snapshot fails, Error when a
 *   snapshot of the same name already exists, fs errors as is. S3 problems do not throw (see s3Error).
 */
export async function takeSnapshot(options: SnapshotOptions): Promise<SnapshotResult> {
  const clock = options.clock ?? systemClock;
  const wallMs = clock.wallMs();
  const baseName = snapshotFileName(options.name, options.nodeName, Math.floor(wallMs / 1000), false);
  const fileName = options.compress ? snapshotFileName(options.name, options.nodeName, Math.floor(wallMs / 1000), true)
    : baseName;
  await mkdir(options.dir, { recursive: true });
  const finalPath = join(options.dir, fileName);
  if (await exists(finalPath)) throw new Error(`snapshot ${finalPath} already exists`);
  await writeLocalSnapshot(options, baseName, finalPath, new Date(wallMs));
  const info = await stat(finalPath);
  const local: SnapshotInfo = {
    name: fileName, location: pathToFileURL(finalPath).href, sizeBytes: info.size, createdAt: info.mtime,
    nodeName: options.nodeName, compressed: options.compress, storage: 'local',
  };
  const result: SnapshotResult = { local, pruned: [] };
  result.pruned.push(...await pruneLocalSnapshots(options.dir, options.name, options.nodeName, options.retention));
  if (options.s3 !== undefined) await uploadAndPrune(options, options.s3, result);
  return result;
}

async function uploadAndPrune(options: SnapshotOptions, s3: S3Options, result: SnapshotResult): Promise<void> {
  let store: S3SnapshotStore | undefined;
  try {
    store = await openS3Store(s3);
    result.s3 = await store.upload(join(options.dir, result.local.name), result.local.name);
    result.pruned.push(...await store.prune(options.name, options.nodeName, options.retention));
  } catch (error) {
    result.s3Error = (error as Error).message;
  } finally {
    store?.close();
  }
}

/**
 * Lists local snapshots in `dir` and, with `s3`, the S3 folder (local first, each oldest first).
 * @throws S3SnapshotError when S3 is configured and cannot be listed; fs errors as is.
 */
export async function listSnapshots(dir: string, nodeName: string, s3?: S3Options): Promise<SnapshotInfo[]> {
  const local = await listLocalSnapshots(dir, nodeName);
  if (s3 === undefined) return local;
  const store = await openS3Store(s3);
  try {
    return [...local, ...await store.list()];
  } finally {
    store.close();
  }
}

/** Per-name outcome of deleteSnapshots. */
export interface DeleteOutcome {
  name: string;
  deletedLocal: boolean;
  deletedS3: boolean;
}

/**
 * Deletes each named snapshot locally and, with `s3`, on S3.
 * @throws S3SnapshotError on an S3 failure; fs errors as is.
 */
export async function deleteSnapshots(names: readonly string[], dir: string, s3?: S3Options): Promise<DeleteOutcome[]> {
  const store = s3 !== undefined ? await openS3Store(s3) : undefined;
  try {
    const out: DeleteOutcome[] = [];
    for (const name of names) {
      const deletedLocal = await deleteLocalSnapshot(dir, name);
      const deletedS3 = store !== undefined ? await store.delete(name) : false;
      out.push({ name, deletedLocal, deletedS3 });
    }
    return out;
  } finally {
    store?.close();
  }
}

/**
 * Applies retention to snapshots of `name` on `nodeName` locally and, with `s3`, on S3; returns the
 * deleted names. @throws S3SnapshotError on an S3 failure; fs errors as is.
 */
export async function pruneSnapshots(dir: string, name: string, nodeName: string, retention: number,
  s3?: S3Options): Promise<string[]> {
  const pruned = await pruneLocalSnapshots(dir, name, nodeName, retention);
  if (s3 === undefined) return pruned;
  const store = await openS3Store(s3);
  try {
    return [...pruned, ...await store.prune(name, nodeName, retention)];
  } finally {
    store.close();
  }
}
