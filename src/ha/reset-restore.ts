/**
 * The file part of `--cluster-reset-restore-path`: fetch the snapshot (local file or S3 object, unzipped
 * and checksum-verified by restore-source.ts), restore it as a one-member cluster of this member into a
 * staging dir inside the data dir, and only then swap it in: the current `member/` dir is moved aside to
 * `member-old-<unix seconds>` (and a separate `--wal-dir` to `<wal-dir>-old-<unix seconds>`). Any failure
 * before the swap leaves the data dir as it was.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { restoreSnapshot, type RestoreResult } from '../snapshot/restore.js';
import { fsyncPath } from './file-io.js';
import type { S3Options } from './options.js';
import { fetchSnapshot } from './restore-source.js';

/** Name of the member dir inside a data dir (etcd's layout). */
const MEMBER_DIR = 'member';

/** A restore that could not be done; the data dir is unchanged unless `dataChanged`. */
export class ResetRestoreError extends Error {
  override readonly name = 'ResetRestoreError';
  readonly code = 'ERR_RESET_RESTORE';
  constructor(message: string, readonly dataChanged: boolean, options?: { cause: unknown }) {
    super(message, options);
  }
}

export interface ResetRestoreOptions {
  /** The member's data dir (`--data-dir`). */
  dataDir: string;
  /** `--wal-dir` ('' ⇒ `<data-dir>/member/wal`). */
  walDir: string;
  /** Member name and peer URLs of the one-member cluster (this member's `--name` and advertise URLs). */
  name: string;
  initialAdvertisePeerUrls: string[];
  initialClusterToken: string;
  /** `--cluster-reset-restore-path`: a local path, or with `s3` an object name in the S3 folder. */
  restorePath: string;
  s3?: S3Options;
  /** Time used in the moved-aside names. */
  now?: Date;
  /** Runs on the restored staging data dir before the swap (e.g. to record the old members as removed). */
  prepare?: (stagingDataDir: string, restored: RestoreResult, snapshotPath: string) => Promise<void>;
}

export interface ResetRestoreResult {
  restored: RestoreResult;
  /** Paths the previous data was moved to (empty for a data dir without a member dir). */
  movedAside: string[];
}

/**
 * Restores `restorePath` into `dataDir` (see the file comment).
 * @throws ResetRestoreError (wrapping the fetch / restore / fs error) with `dataChanged` false when the
 *   data dir was left untouched.
 */
export async function restoreForReset(options: ResetRestoreOptions): Promise<ResetRestoreResult> {
  const seconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const staging = join(options.dataDir, `.reset-restore-${seconds}`);
  await mkdir(options.dataDir, { recursive: true });
  await rm(staging, { recursive: true, force: true });
  try {
    const restored = await stage(options, staging);
    return { restored, movedAside: await swapIn(options, join(staging, 'data'), seconds) };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function stage(options: ResetRestoreOptions, staging: string): Promise<RestoreResult> {
  const stagingData = join(staging, 'data');
  try {
    const snapshotPath = await fetchSnapshot(options.restorePath, options.s3, join(staging, 'download'));
    const restored = await restoreSnapshot({
      snapshotPath, name: options.name, initialCluster: '', initialClusterToken: options.initialClusterToken,
      initialAdvertisePeerUrls: options.initialAdvertisePeerUrls, dataDir: stagingData, walDir: '',
      skipHashCheck: false, bumpRevision: 0, markCompacted: false,
    });
    await options.prepare?.(stagingData, restored, snapshotPath);
    return restored;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ResetRestoreError(`cannot restore ${options.restorePath}: ${detail}; ` +
      `the data dir ${options.dataDir} was not changed`, false, { cause: error });
  }
}

async function swapIn(options: ResetRestoreOptions, stagingData: string, seconds: number): Promise<string[]> {
  const memberDir = join(options.dataDir, MEMBER_DIR);
  const movedAside: string[] = [];
  try {
    if (existsSync(memberDir)) {
      const aside = join(options.dataDir, `${MEMBER_DIR}-old-${seconds}`);
      await rename(memberDir, aside);
      movedAside.push(aside);
    }
    if (options.walDir !== '' && existsSync(options.walDir)) {
      const aside = `${options.walDir}-old-${seconds}`;
      await rename(options.walDir, aside);
      movedAside.push(aside);
    }
    await rename(join(stagingData, MEMBER_DIR), memberDir);
    if (options.walDir !== '') {
      await mkdir(dirname(options.walDir), { recursive: true });
      await rename(join(memberDir, 'wal'), options.walDir);
      await fsyncPath(dirname(options.walDir));
    }
    await fsyncPath(options.dataDir);
    return movedAside;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ResetRestoreError(`restore of ${options.restorePath} failed while replacing the member dir: ${detail}` +
      (movedAside.length > 0 ? `; the previous data is in ${movedAside.join(', ')}` : ''), movedAside.length > 0,
    { cause: error });
  }
}
