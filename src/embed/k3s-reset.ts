/**
 * K3s's `--cluster-reset` / `--cluster-reset-restore-path` for `tetcd server`, and the old-cluster check
 * a restarting member runs before it starts (src/ha/reset-*.ts hold the pieces that need no server code).
 *
 * Reset: this member's data dir becomes a one-member cluster with force-new-cluster semantics (committed
 * conf changes remove every other member, so their old data dirs are refused); the member is started once
 * on loopback-only listeners (127.0.0.1, OS-chosen ports, no snapshots) until it serves alone, then stops;
 * `<data-dir>/reset-flag` is written and K3s's message printed. Restore: the snapshot replaces the member
 * dir first (old one kept as `member-old-<unix seconds>`), with the snapshot's and the old data dir's
 * members recorded as removed, then the same loopback start runs.
 */
import { readFile } from 'node:fs/promises';
import type * as tls from 'node:tls';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { Backend } from '../backend/backend.js';
import type { Logger } from '../platform/logger.js';
import { memberPaths, type MemberInfo } from '../server/bootstrap.js';
import { Membership } from '../server/membership/membership.js';
import { readBbolt } from '../snapshot/bbolt/reader.js';
import { splitSnapshot } from '../snapshot/snapshot-file.js';
import type { RestoreResult } from '../snapshot/restore.js';
import { peerRequest } from '../transport/peer-request.js';
import { Wal } from '../wal/wal.js';
import { clusterResetRequest, type ClusterResetRequest } from '../ha/cluster-reset-flags.js';
import {
  alreadyResetMessage, clearResetFlag, resetDoneMessage, resetFlagExists, writeResetFlag,
} from '../ha/reset-flag.js';
import {
  oldMemberRefusal, OldClusterMemberError, parsePeerMembers, type PeerMembership,
} from '../ha/reset-old-member.js';
import { restoreForReset } from '../ha/reset-restore.js';
import { s3OptionsFromFlagValues } from '../ha/server-flags.js';
import type { ServerConfig } from './config.js';
import type { EmbeddedEtcd } from './etcd.js';

/** startEtcd (passed in by the server command: etcd.ts imports this file for the old-cluster check). */
export type StartMember = (config: ServerConfig, logger: Logger) => Promise<EmbeddedEtcd>;

/** Time each peer gets to answer `GET /members` during the old-cluster check. */
const PEER_MEMBERS_TIMEOUT_MS = 2_000;
/** Listener URL used during a reset: loopback only, port chosen by the OS. */
const LOOPBACK_ANY_PORT = 'http://127.0.0.1:0';

/**
 * The reset the config's flags ask for.
 * @throws ClusterResetFlagError for `--cluster-reset-restore-path` without `--cluster-reset`.
 */
export function clusterResetOf(config: ServerConfig): ClusterResetRequest {
  return clusterResetRequest(config.flagValues);
}

/**
 * Runs `--cluster-reset` (and the restore) and returns the exit code: 0 after printing K3s's message
 * with `print`, 1 after logging why not (marker present, nothing to reset, bad snapshot, start failure).
 * Never throws.
 */
export async function runClusterReset(config: ServerConfig, request: ClusterResetRequest, start: StartMember,
  logger: Logger, print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<number> {
  if (request.kind === 'none') return 0;
  if (resetFlagExists(config.dataDir)) {
    logger.fatal(alreadyResetMessage(config.dataDir, config.name));
    return 1;
  }
  try {
    if (request.kind === 'restore') {
      await restoreStep(config, request.restorePath, request.fromS3, logger);
    } else if (!await Wal.exists(memberPaths(config.dataDir, config.walDir).walDir)) {
      logger.fatal({ 'data-dir': config.dataDir }, `--cluster-reset: no member data in ${config.dataDir} (nothing to reset)`);
      return 1;
    }
    await startAloneOnLoopback(config, start, logger);
    await writeResetFlag(config.dataDir);
  } catch (error) {
    logger.fatal({ error: error instanceof Error ? error.message : String(error) }, 'cluster reset failed');
    return 1;
  }
  const message = resetDoneMessage(config.dataDir);
  logger.info(message);
  print(message);
  return 0;
}

async function restoreStep(config: ServerConfig, restorePath: string, fromS3: boolean, logger: Logger): Promise<void> {
  const s3 = fromS3 ? s3OptionsFromFlagValues(config.flagValues ?? new Map()) : undefined;
  const formerIds = await membersOfDataDir(config);
  logger.info({ path: restorePath, s3: fromS3 }, 'restoring snapshot for cluster reset');
  const result = await restoreForReset({
    dataDir: config.dataDir, walDir: config.walDir, name: config.name,
    initialAdvertisePeerUrls: config.initialAdvertisePeerUrls, initialClusterToken: config.initialClusterToken,
    restorePath, ...(s3 !== undefined ? { s3 } : {}),
    prepare: (stagingDataDir, restored, snapshotPath) =>
      recordFormerMembersRemoved(stagingDataDir, restored, snapshotPath, formerIds),
  });
  logger.info({ 'moved-aside': result.movedAside, 'member-id': result.restored.memberId.toString(16),
    revision: result.restored.revision }, 'restored snapshot; previous member data moved aside');
}

/** Member ids (current and removed) the data dir's membership knows; empty for a data dir without one. */
async function membersOfDataDir(config: ServerConfig): Promise<bigint[]> {
  const paths = memberPaths(config.dataDir, config.walDir);
  if (!existsSync(paths.dbPath)) return [];
  const backend = await Backend.open(paths.dbPath);
  try {
    return [...bucketIds(backend.range('members', new Uint8Array([0]))),
      ...bucketIds(backend.range('members_removed', new Uint8Array([0])))];
  } finally {
    await backend.close();
  }
}

function bucketIds(entries: Iterable<readonly [Uint8Array, Uint8Array]>): bigint[] {
  const out: bigint[] = [];
  for (const [key] of entries) {
    const hex = Buffer.from(key).toString('latin1');
    if (/^[0-9a-f]{1,16}$/.test(hex)) out.push(BigInt(`0x${hex}`));
  }
  return out;
}

/**
 * Marks every member the snapshot or the old data dir knew (except this one) as removed in the restored
 * backend, so a former peer that restarts on its old data is refused as removed instead of being heard.
 */
async function recordFormerMembersRemoved(stagingDataDir: string, restored: RestoreResult, snapshotPath: string,
  formerIds: readonly bigint[]): Promise<void> {
  const db = readBbolt(splitSnapshot(await readFile(snapshotPath)).db, snapshotPath);
  const ids = new Set([...formerIds, ...bucketIds(db.buckets.get('members') ?? []),
    ...bucketIds(db.buckets.get('members_removed') ?? [])]);
  ids.delete(restored.memberId);
  const backend = await Backend.open(memberPaths(stagingDataDir, '').dbPath);
  try {
    const membership = new Membership(backend);
    for (const id of ids) if (membership.get(id) === undefined) membership.remove(id);
    await backend.forceCommit();
  } finally {
    await backend.close();
  }
}

/** Starts the member with force-new-cluster on loopback listeners until it serves alone, then stops it. */
async function startAloneOnLoopback(config: ServerConfig, start: StartMember, logger: Logger): Promise<void> {
  const { flagValues: _unused, ...rest } = config;
  const loopback: ServerConfig = {
    ...rest, forceNewCluster: true, listenClientUrls: [new URL(LOOPBACK_ANY_PORT)],
    listenPeerUrls: [new URL(LOOPBACK_ANY_PORT)], listenMetricsUrls: [],
  };
  const member = await start(loopback, logger);
  try {
    const members = parsePeerMembers('(local)', member.server.membersJson()).memberIds;
    if (members.length !== 1 || members[0] !== member.server.memberId) {
      throw new Error(`after the reset the cluster still has ${members.length} members`);
    }
  } finally {
    await member.close();
  }
}

/**
 * On a normal start: removes the reset marker left by a previous `--cluster-reset` (logs it).
 * @throws the fs error.
 */
export async function clearResetFlagOnStart(config: ServerConfig, logger: Logger): Promise<void> {
  if (await clearResetFlag(config.dataDir)) {
    logger.info({ 'data-dir': config.dataDir }, 'removed the cluster reset flag (normal start after --cluster-reset)');
  }
}

/**
 * The old-cluster check of a member restarting on an existing data dir (skipped for a new member and
 * for --force-new-cluster): asks every other member of its local membership for `/members`; a reachable
 * peer that no longer lists this member refuses the start (src/ha/reset-old-member.ts). Unreachable
 * peers are skipped (nothing to learn from them).
 * @throws OldClusterMemberError with the actionable message.
 */
export async function refuseOldClusterMember(config: ServerConfig, peerTls: tls.ConnectionOptions | undefined,
  logger: Logger): Promise<void> {
  if (config.forceNewCluster === true) return;
  const members = await localMembership(config).catch(() => undefined);
  if (members === undefined) return;
  const self = members.find((m) => m.peerUrls.some((u) => config.initialAdvertisePeerUrls.includes(u)));
  if (self === undefined) return;
  const answers = await Promise.all(members.filter((m) => m.id !== self.id)
    .map((m) => askMembers(m.peerUrls, peerTls)));
  const reachable = answers.filter((a): a is PeerMembership => a !== undefined);
  const refusal = oldMemberRefusal({ memberId: self.id, name: config.name, dataDir: config.dataDir }, reachable);
  logger.debug({ asked: answers.length, answered: reachable.length, refused: refusal !== undefined }, 'old-cluster check');
  if (refusal !== undefined) throw new OldClusterMemberError(refusal);
}

/**
 * The membership recorded in an existing data dir; undefined for a new member. Throws on unreadable
 * storage (the caller skips the check and leaves the error to the server's own bootstrap, which words it).
 */
async function localMembership(config: ServerConfig): Promise<MemberInfo[] | undefined> {
  const paths = memberPaths(config.dataDir, config.walDir);
  if (!existsSync(paths.dbPath) || !await Wal.exists(paths.walDir)) return undefined;
  checkNotBbolt(paths.dbPath);
  const backend = await Backend.open(paths.dbPath);
  try {
    return new Membership(backend).list();
  } finally {
    await backend.close();
  }
}

/** bbolt's magic number (an etcd data dir: never opened here, the server's bootstrap explains). */
const BBOLT_MAGIC = 0xed0cdaed;
const BBOLT_MAGIC_OFFSET = 16;

function checkNotBbolt(dbPath: string): void {
  const header = Buffer.alloc(BBOLT_MAGIC_OFFSET + 4);
  const fd = openSync(dbPath, 'r');
  try {
    readSync(fd, header);
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32LE(BBOLT_MAGIC_OFFSET) === BBOLT_MAGIC) throw new Error(`${dbPath} is a bbolt database`);
}

async function askMembers(peerUrls: readonly string[], peerTls: tls.ConnectionOptions | undefined):
Promise<PeerMembership | undefined> {
  for (const url of peerUrls) {
    try {
      const response = await peerRequest(url, 'GET', '/members', {}, PEER_MEMBERS_TIMEOUT_MS, peerTls);
      if (response.status === 200) return parsePeerMembers(url, response.body);
    } catch {
      // Unreachable or not a tetcd peer: try the next URL.
    }
  }
  return undefined;
}
