/**
 * Restores a snapshot file (made by tetcd or by etcd) into a new tetcd data dir, as `etcdutl snapshot
 * restore` does for etcd: the backend gets every bucket of the snapshot, the old membership is replaced
 * by `--initial-cluster` (ids from the token, so every member restored with the same flags agrees), and
 * the raft state starts over as a new cluster: snapshot 1 at term 1 whose ConfState lists the members,
 * a WAL with the new member and cluster ids, consistent index 1. `tetcd server` then starts from it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatIdHex } from '../base/ids.js';
import { Backend } from '../backend/backend.js';
import { encodeRevision } from '../mvcc/revision.js';
import {
  encodeUint64, META_CONSISTENT_INDEX, META_FINISHED_COMPACT, META_SCHEDULED_COMPACT, META_TERM,
} from '../mvcc/meta.js';
import type { ConfState } from '../raft/types.js';
import { Wal } from '../wal/wal.js';
import { loadBuckets } from './backend-image.js';
import { readBbolt } from './bbolt/reader.js';
import { computeClusterId, computeMemberId } from '../platform/member-ids.js';
import { memberJson, parseInitialCluster } from './member-files.js';
import { saveSnapMetadata } from '../platform/snap-files.js';
import { splitSnapshot, verifySnapshotHash } from './snapshot-file.js';
import { lastMainRevision } from './status.js';

/** `etcdutl snapshot restore` flags (defaults as etcdutl's, data dir `<name>.tetcd`). */
export interface RestoreOptions {
  snapshotPath: string;
  name: string;
  /** `name=url,...`; empty: `<name>=<initialAdvertisePeerUrls>`. */
  initialCluster: string;
  initialClusterToken: string;
  initialAdvertisePeerUrls: string[];
  /** Empty: `<name>.tetcd`. */
  dataDir: string;
  /** Empty: `<data-dir>/member/wal`. */
  walDir: string;
  skipHashCheck: boolean;
  /** Added to the newest revision (needs markCompacted). */
  bumpRevision: number;
  markCompacted: boolean;
  /** `existing` (etcdctl 3.4): refuse an existing data dir even when empty. Default: refuse non-empty. */
  refuseExistingDir?: boolean;
}

export interface RestoreResult {
  dataDir: string;
  walDir: string;
  snapDir: string;
  memberId: bigint;
  clusterId: bigint;
  /** Revision the restored store starts at. */
  revision: number;
  /** Bucket names the snapshot had that tetcd does not keep. */
  skippedBuckets: string[];
}

/** A refused restore (bad flags, non-empty dir, bad hash); the message is etcd's wording. */
export class RestoreError extends Error {
  override readonly name = 'RestoreError';
  readonly code = 'ERR_RESTORE';
}

/** Structured progress lines (etcdutl logs them with zap). */
export type RestoreLog = (message: string, fields: Record<string, unknown>) => void;

const SNAPSHOT_INDEX = 1;
const SNAPSHOT_TERM = 1;

function isNonEmptyDir(path: string): boolean {
  return existsSync(path) && readdirSync(path).length > 0;
}

function checkDirs(options: RestoreOptions, dataDir: string, walDir: string): void {
  if (options.refuseExistingDir === true) {
    if (existsSync(dataDir)) throw new RestoreError(`data-dir "${dataDir}" exists`);
    return;
  }
  if (isNonEmptyDir(dataDir)) throw new RestoreError(`data-dir "${dataDir}" not empty or could not be read`);
  if (options.walDir !== '' && isNonEmptyDir(walDir)) {
    throw new RestoreError(`wal-dir "${walDir}" not empty or could not be read`);
  }
}

function checkBumpFlags(options: RestoreOptions): void {
  if (!Number.isSafeInteger(options.bumpRevision) || options.bumpRevision < 0) {
    throw new RestoreError('--bump-revision must not be negative');
  }
  if (options.markCompacted && options.bumpRevision === 0) {
    throw new RestoreError('--mark-compacted can only be used with --bump-revision > 0');
  }
  if (options.bumpRevision > 0 && !options.markCompacted) {
    throw new RestoreError('--mark-compacted required if --bump-revision > 0');
  }
}

/** The members of the new cluster and this member's id. Throws RestoreError on inconsistent flags. */
function newMembership(options: RestoreOptions):
  { ids: bigint[]; self: bigint; json: Map<bigint, string>; urls: Map<bigint, string[]> } {
  const text = options.initialCluster !== '' ? options.initialCluster
    : options.initialAdvertisePeerUrls.map((url) => `${options.name}=${url}`).join(',');
  const members = parseInitialCluster(text);
  const mine = members.find((m) => m.name === options.name);
  if (mine === undefined) {
    throw new RestoreError(`couldn't find local name "${options.name}" in the initial cluster configuration`);
  }
  const advertised = [...options.initialAdvertisePeerUrls].sort().join(',');
  if ([...mine.peerUrls].sort().join(',') !== advertised) {
    throw new RestoreError(`--initial-cluster has ${options.name}=${mine.peerUrls.join(',')} but missing from ` +
      `--initial-advertise-peer-urls=${options.initialAdvertisePeerUrls.join(',')}`);
  }
  const json = new Map<bigint, string>();
  const urls = new Map<bigint, string[]>();
  let self = 0n;
  for (const member of members) {
    const id = computeMemberId(member.peerUrls, options.initialClusterToken);
    if (json.has(id)) throw new RestoreError(`duplicate member id ${formatIdHex(id)} in --initial-cluster`);
    json.set(id, memberJson(id, member));
    urls.set(id, member.peerUrls);
    if (member === mine) self = id;
  }
  return { ids: [...json.keys()], self, json, urls };
}

/**
 * Restores `options.snapshotPath` into a new data dir. Throws RestoreError (flags, non-empty dir, hash),
 * CorruptionError (a damaged bbolt file) or fs errors; on failure a data dir it created is removed.
 */
export async function restoreSnapshot(options: RestoreOptions,
  log: RestoreLog = () => undefined): Promise<RestoreResult> {
  checkBumpFlags(options);
  const dataDir = options.dataDir !== '' ? options.dataDir : `${options.name}.tetcd`;
  const walDir = options.walDir !== '' ? options.walDir : join(dataDir, 'member', 'wal');
  const snapDir = join(dataDir, 'member', 'snap');
  checkDirs(options, dataDir, walDir);
  const membership = newMembership(options);
  log('restoring snapshot', { path: options.snapshotPath, 'wal-dir': walDir, 'data-dir': dataDir, 'snap-dir': snapDir });
  if (!existsSync(options.snapshotPath)) throw new RestoreError(`open ${options.snapshotPath}: no such file or directory`);
  const split = splitSnapshot(await readFile(options.snapshotPath));
  verifySnapshotHash(split, options.skipHashCheck);
  const db = readBbolt(split.db, options.snapshotPath);
  const createdDataDir = !existsSync(dataDir);
  try {
    await mkdir(snapDir, { recursive: true });
    const clusterId = computeClusterId(membership.ids);
    const revision = await writeBackend(join(snapDir, 'db'), db.buckets, membership.json, options, log);
    const skippedBuckets = revision.skipped;
    for (const id of membership.ids) {
      log('added member', { 'cluster-id': formatIdHex(clusterId), 'local-member-id': '0',
        'added-peer-id': formatIdHex(id), 'added-peer-peer-urls': membership.urls.get(id) ?? [] });
    }
    await writeRaftState(snapDir, walDir, membership.self, clusterId, membership.ids);
    log('restored snapshot', { path: options.snapshotPath, 'wal-dir': walDir, 'data-dir': dataDir, 'snap-dir': snapDir });
    return { dataDir, walDir, snapDir, memberId: membership.self, clusterId, revision: revision.latest,
      skippedBuckets };
  } catch (error) {
    if (createdDataDir) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

async function writeBackend(dbPath: string, buckets: Map<string, Array<[Uint8Array, Uint8Array]>>,
  members: Map<bigint, string>, options: RestoreOptions,
  log: RestoreLog): Promise<{ latest: number; skipped: string[] }> {
  const backend = await Backend.open(dbPath);
  try {
    const skipped = loadBuckets(backend, buckets);
    const encoder = new TextEncoder();
    for (const bucket of ['members', 'members_removed'] as const) {
      for (const [key] of buckets.get(bucket) ?? []) backend.delete(bucket, key);
    }
    for (const [id, json] of members) backend.put('members', encoder.encode(formatIdHex(id)), encoder.encode(json));
    backend.put('meta', META_CONSISTENT_INDEX, encodeUint64(SNAPSHOT_INDEX));
    backend.put('meta', META_TERM, encodeUint64(SNAPSHOT_TERM));
    let latest = lastMainRevision(buckets.get('key') ?? []);
    const finished = buckets.get('meta')?.find(([key]) => Buffer.compare(key, META_FINISHED_COMPACT) === 0)?.[1];
    if (finished !== undefined && finished.length >= 8) {
      log('restored last compact revision', { 'meta-bucket-name': 'meta', 'meta-bucket-name-key': 'finishedCompactRev',
        'restored-compact-revision': lastMainRevision([[finished, finished]]) });
    }
    if (options.bumpRevision > 0) {
      log('bumping latest revision', { 'latest-revision': latest, 'bump-amount': options.bumpRevision,
        'new-latest-revision': latest + options.bumpRevision });
      latest += options.bumpRevision;
      // etcdutl 3.6 (revbump): an empty value at revision {latest+bump, 0} in `key` moves the store's
      // newest revision, and scheduledCompactRev there makes the server compact to it on start.
      backend.put('key', encodeRevision(latest, 0), new Uint8Array(0));
      log('marking revision compacted', { revision: latest });
      backend.put('meta', META_SCHEDULED_COMPACT, encodeRevision(latest, 0));
    }
    await backend.forceCommit();
    return { latest, skipped };
  } finally {
    await backend.close();
  }
}

async function writeRaftState(snapDir: string, walDir: string, self: bigint, clusterId: bigint,
  voters: bigint[]): Promise<void> {
  const confState: ConfState = { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  await saveSnapMetadata(snapDir, { index: SNAPSHOT_INDEX, term: SNAPSHOT_TERM, confState }, false);
  const metadata = JSON.stringify({ memberId: formatIdHex(self), clusterId: formatIdHex(clusterId) });
  const wal = await Wal.create(walDir, new TextEncoder().encode(metadata));
  try {
    await wal.saveSnapshot({ index: SNAPSHOT_INDEX, term: SNAPSHOT_TERM, confState });
    await wal.save({ term: SNAPSHOT_TERM, vote: 0n, commit: SNAPSHOT_INDEX }, [], true);
  } finally {
    await wal.close();
  }
}
