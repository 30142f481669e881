/**
 * Data corruption checks between members (etcd's --experimental-initial-corrupt-check and
 * --experimental-corrupt-check-time): members compare HashKV over the peer transport.
 *
 * - Initial check (before a member serves clients): for every peer, the local hash at the local revision
 *   must equal the peer's hash at that revision whenever both have the same compact revision; otherwise
 *   the member refuses to start ("found data inconsistency with peers").
 * - Periodic check (leader only): hash at the current revision, fetch the peers' hashes at that revision,
 *   hash again; a peer with the same compact revision and another hash, a peer ahead of the leader, or a
 *   leader whose own hash changed at an unchanged revision raises one CORRUPT alarm for that member.
 */
import { EtcdError, isEtcdError } from '../base/errors.js';
import { formatIdHex } from '../base/ids.js';
import type { KeyValueHash } from '../mvcc/store.js';
import type { Logger } from '../platform/logger.js';

/** A peer's answer to HashKV at a revision. */
export interface PeerHash {
  memberId: bigint;
  hash: number;
  /** The peer's current revision (response header). */
  revision: number;
  compactRevision: number;
}

export interface CorruptionCheckHost {
  readonly memberId: bigint;
  /** The other members' ids (learners included). */
  peerIds(): bigint[];
  /** Local HashKV at `revision` (0: current). Throws EtcdError ERR_COMPACTED / ERR_FUTURE_REV. */
  localHash(revision: number): KeyValueHash;
  /** A peer's HashKV at `revision`. Throws EtcdError (ERR_COMPACTED, ERR_FUTURE_REV) or a transport Error. */
  peerHash(id: bigint, revision: number): Promise<PeerHash>;
  isLeader(): boolean;
  /** Proposes a CORRUPT alarm for `memberId`. */
  raiseCorrupt(memberId: bigint): Promise<void>;
}

/** Thrown by the initial check when a peer's data differs: the member must not serve. */
export class DataInconsistencyError extends Error {
  readonly code = 'ERR_DATA_INCONSISTENCY';
  constructor(memberId: bigint) {
    super(`${formatIdHex(memberId)} found data inconsistency with peers`);
    this.name = 'DataInconsistencyError';
  }
}

type PeerResult = { id: bigint; hash: PeerHash } | { id: bigint; error: unknown };

async function fetchAll(host: CorruptionCheckHost, revision: number): Promise<PeerResult[]> {
  return Promise.all(host.peerIds().map(async (id): Promise<PeerResult> => {
    try {
      return { id, hash: await host.peerHash(id, revision) };
    } catch (error) {
      return { id, error };
    }
  }));
}

/**
 * The initial check. Peers that cannot answer (down, compacted past, behind) are skipped with a warning.
 * @throws DataInconsistencyError when a comparable peer hash differs.
 */
export async function checkInitialHashes(host: CorruptionCheckHost, logger: Logger): Promise<void> {
  const local = host.localHash(0);
  let mismatches = 0;
  for (const result of await fetchAll(host, local.hashRevision)) {
    const peer = formatIdHex(result.id);
    if ('error' in result) {
      logger.warn({ 'remote-peer-id': peer, error: describe(result.error) }, 'cannot fetch hash from remote peer');
      continue;
    }
    const { hash, compactRevision } = result.hash;
    if (compactRevision !== local.compactRevision) {
      logger.warn({ 'remote-peer-id': peer, 'local-compact-revision': local.compactRevision,
        'remote-peer-compact-revision': compactRevision }, 'cannot check hash: compact revisions differ');
      continue;
    }
    if (hash !== local.hash) {
      mismatches += 1;
      logger.error({ 'remote-peer-id': peer, 'local-member-hash': local.hash, 'remote-peer-hash': hash,
        revision: local.hashRevision, 'compact-revision': compactRevision }, 'found different hash values from remote peer');
    }
  }
  if (mismatches > 0) throw new DataInconsistencyError(host.memberId);
  logger.info({ 'local-member-id': formatIdHex(host.memberId), revision: local.hashRevision, hash: local.hash },
    'initial corruption checking passed; no corruption was detected');
}

/**
 * One periodic round on the leader. Returns the member ids found corrupt (at most one alarm is raised
 * per round, as etcd does); [] when not leader or nothing is wrong.
 */
export async function checkPeerHashes(host: CorruptionCheckHost, logger: Logger): Promise<bigint[]> {
  if (!host.isLeader()) return [];
  const before = host.localHash(0);
  const results = await fetchAll(host, before.hashRevision);
  const after = host.localHash(0);
  const corrupt: bigint[] = [];
  const mismatch = (id: bigint, reason: string, fields: Record<string, unknown>): void => {
    logger.error({ 'member-id': formatIdHex(id), ...fields }, reason);
    if (!corrupt.includes(id)) corrupt.push(id);
  };
  if (after.hash !== before.hash && after.hashRevision === before.hashRevision &&
      after.compactRevision === before.compactRevision) {
    mismatch(host.memberId, 'the leader\'s own hash changed at the same revision',
      { 'hash-before': before.hash, 'hash-after': after.hash, revision: before.hashRevision });
  }
  for (const result of results) {
    if ('error' in result) {
      if (!isEtcdError(result.error, 'ERR_COMPACTED') && !isEtcdError(result.error, 'ERR_FUTURE_REV')) {
        logger.warn({ 'remote-peer-id': formatIdHex(result.id), error: describe(result.error) },
          'cannot fetch hash from remote peer');
      }
      continue;
    }
    const peer = result.hash;
    if (peer.revision > after.revision) {
      mismatch(result.id, 'a follower is ahead of the leader', { 'peer-revision': peer.revision, 'leader-revision': after.revision });
    } else if (peer.compactRevision > after.compactRevision) {
      mismatch(result.id, 'a follower compacted past the leader',
        { 'peer-compact-revision': peer.compactRevision, 'leader-compact-revision': after.compactRevision });
    } else if (peer.compactRevision === before.compactRevision && peer.hash !== before.hash) {
      mismatch(result.id, 'found hash mismatch', { 'leader-hash': before.hash, 'peer-hash': peer.hash,
        revision: before.hashRevision, 'compact-revision': before.compactRevision });
    }
  }
  const first = corrupt[0];
  if (first !== undefined) await host.raiseCorrupt(first);
  return corrupt;
}

/** Runs checkPeerHashes every `intervalMs` (never two rounds at once) until stop(). */
export class PeriodicCorruptionChecker {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly host: CorruptionCheckHost, private readonly logger: Logger,
    private readonly intervalMs: number) {
    if (!(intervalMs > 0)) throw new RangeError(`corrupt check interval must be positive, got ${intervalMs}`);
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.round(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async round(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await checkPeerHashes(this.host, this.logger);
    } catch (error) {
      this.logger.warn({ error: describe(error) }, 'corruption check failed');
    } finally {
      this.running = false;
    }
  }
}

function describe(error: unknown): string {
  return error instanceof EtcdError || error instanceof Error ? error.message : String(error);
}
