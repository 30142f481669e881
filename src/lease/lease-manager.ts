/**
 * Everything a member does with leases, behind one object the server wires in: the replicated state
 * (Lessor) and its apply step (LeaseApplier), the leader-only expiry tracker and its revoke loop, and
 * the request side of the Lease API (grant/revoke through raft, keepalive and time-to-live on the
 * leader, forwarded there by followers).
 */
import { assert } from '../base/assert.js';
import type { Clock } from '../base/clock.js';
import { etcdError, isEtcdError } from '../base/errors.js';
import type { LeaseId } from '../base/ids.js';
import { Limits } from '../base/limits.js';
import {
  InternalRaftRequest, LeaseCheckpoint, LeaseCheckpointRequest, LeaseGrantRequest,
  LeaseKeepAliveRequest, LeaseKeepAliveResponse, LeaseLeasesResponse,
  LeaseRevokeRequest, LeaseStatus, LeaseTimeToLiveRequest, LeaseTimeToLiveResponse,
  type LeaseGrantResponse, type LeaseRevokeResponse,
} from '../proto/gen/etcdserverpb.js';
import { LeaseExpiry } from './expiry.js';
import { LeaseApplier, type LeaseWriteStore } from './lease-applier.js';
import { Lessor, type LeaseBackend } from './lessor.js';
import { minLeaseTtlSeconds, remainingTtlSeconds } from './ttl.js';

/** How often the leader looks for expired leases. */
export const EXPIRY_CHECK_INTERVAL_MS = 100;
/** Revocations proposed per second at most (etcd's leaseRevokeRate). */
export const LEASE_REVOKES_PER_SECOND_MAX = 1000;
const REVOKES_PER_CHECK_MAX = Math.max(1, Math.floor((LEASE_REVOKES_PER_SECOND_MAX * EXPIRY_CHECK_INTERVAL_MS) / 1000));
/** Checkpoints per LeaseCheckpoint proposal at most (etcd's maxLeaseCheckpointBatchSize). */
export const LEASE_CHECKPOINTS_PER_PROPOSAL_MAX = 1000;
/** Largest positive int63, the mask for generated lease ids. */
const INT63_MASK = (1n << 63n) - 1n;

export type LeaseForwardKind = 'keepalive' | 'timetolive';

/** What the lease manager needs from its server. */
export interface LeaseHost {
  clock: Clock;
  electionTimeoutMs: number;
  /**
   * --experimental-enable-lease-checkpoint: the leader proposes every lease's remaining TTL this often,
   * so a new leader continues from it instead of granting a full TTL again. Undefined: disabled.
   */
  checkpointIntervalMs?: number | undefined;
  /** Proposes through raft and resolves with the apply response; rejects with EtcdError. */
  propose(request: InternalRaftRequest): Promise<unknown>;
  /** A fresh unique id (the member's request id generator). */
  nextId(): bigint;
  isLeader(): boolean;
  /** The current leader, 0n if none. */
  leaderId(): bigint;
  /** Sends an encoded lease request to the leader; undefined when the transport cannot. */
  forward: ((leaderId: bigint, kind: LeaseForwardKind, request: Uint8Array) => Promise<Uint8Array>) | undefined;
  warn(fields: Record<string, unknown>, message: string): void;
  /** An expired lease was revoked by this leader (etcd_debugging_server_lease_expired_total). */
  leaseExpired?(): void;
}

export class LeaseManager {
  readonly lessor: Lessor;
  readonly applier: LeaseApplier;
  private readonly expiry: LeaseExpiry;
  private timer: NodeJS.Timeout | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;

  /** Restores the leases in `backend` and re-attaches the live keys `store` found at open. */
  constructor(backend: LeaseBackend, store: LeaseWriteStore & RestoredLeases, private readonly host: LeaseHost) {
    this.lessor = new Lessor(backend, minLeaseTtlSeconds(host.electionTimeoutMs));
    this.expiry = new LeaseExpiry(host.clock);
    this.lessor.observer = this.expiry;
    this.lessor.restore(backend, store.takeRestoredLeases());
    this.applier = new LeaseApplier(this.lessor, store);
  }

  /** After a snapshot install: the backend and MVCC store were replaced. */
  replaceState(backend: LeaseBackend, store: LeaseWriteStore & RestoredLeases): void {
    this.lessor.restore(backend, store.takeRestoredLeases());
    this.applier.replaceStore(store);
    if (this.expiry.isPrimary()) this.expiry.promote(this.lessor.all(), this.host.electionTimeoutMs);
  }

  /**
   * Leadership changed. A new leader refreshes every lease to a full TTL plus one election timeout (so a
   * leader change never expires a lease early) and starts the revoke loop; a follower stops both.
   */
  setLeader(isLeader: boolean): void {
    if (isLeader === this.expiry.isPrimary()) return;
    if (isLeader) {
      this.expiry.promote(this.lessor.all(), this.host.electionTimeoutMs);
      this.timer = setInterval(() => this.revokeExpired(), EXPIRY_CHECK_INTERVAL_MS);
      this.timer.unref();
      const checkpointMs = this.host.checkpointIntervalMs;
      if (checkpointMs !== undefined) {
        assert(checkpointMs > 0, `lease checkpoint interval must be positive, got ${checkpointMs}`);
        this.checkpointTimer = setInterval(() => this.checkpointAll(checkpointMs), checkpointMs);
        this.checkpointTimer.unref();
      }
    } else {
      this.expiry.demote();
      this.stop();
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.checkpointTimer !== undefined) clearInterval(this.checkpointTimer);
    this.timer = undefined;
    this.checkpointTimer = undefined;
  }

  /** LeaseGrant through raft. Throws EtcdError (ERR_LEASE_TTL_TOO_LARGE, ERR_LEASE_EXIST, raft errors). */
  async grant(request: LeaseGrantRequest): Promise<LeaseGrantResponse> {
    if (request.TTL > Limits.leaseTtlSecondsMax) throw etcdError('ERR_LEASE_TTL_TOO_LARGE');
    let id = request.ID;
    while (id === 0n) id = this.host.nextId() & INT63_MASK;
    const grant = LeaseGrantRequest.create({ ID: id, TTL: request.TTL });
    return await this.host.propose(InternalRaftRequest.create({ leaseGrant: grant })) as LeaseGrantResponse;
  }

  /** LeaseRevoke through raft. Throws EtcdError ERR_LEASE_NOT_FOUND for an unknown id. */
  async revoke(id: LeaseId): Promise<LeaseRevokeResponse> {
    const revoke = LeaseRevokeRequest.create({ ID: id });
    return await this.host.propose(InternalRaftRequest.create({ leaseRevoke: revoke })) as LeaseRevokeResponse;
  }

  /**
   * Renews `id` to its granted TTL on the leader (forwarded there from a follower) and returns the TTL.
   * Throws EtcdError ERR_LEASE_NOT_FOUND for an unknown or expired lease, ERR_NO_LEADER without a leader.
   */
  async keepAlive(id: LeaseId): Promise<number> {
    if (!this.host.isLeader()) {
      const bytes = await this.forward('keepalive', LeaseKeepAliveRequest.encode(LeaseKeepAliveRequest.create({ ID: id })));
      const response = LeaseKeepAliveResponse.decode(bytes);
      if (response.TTL <= 0) throw etcdError('ERR_LEASE_NOT_FOUND');
      return response.TTL;
    }
    const lease = this.lessor.get(id);
    if (lease === undefined || !this.expiry.renew(lease)) throw etcdError('ERR_LEASE_NOT_FOUND');
    // A renewed lease starts over from its full TTL: clear a checkpointed remainder (as etcd does), or a
    // later leader would resume from the stale remainder.
    if (this.host.checkpointIntervalMs !== undefined && lease.remainingTtlSeconds > 0) {
      this.proposeCheckpoints([LeaseCheckpoint.create({ ID: id, remainingTTL: 0 })]);
    }
    return lease.ttlSeconds;
  }

  /** LeaseTimeToLive (answered by the leader): TTL -1 for an unknown lease. Header left unset. */
  async timeToLive(request: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse> {
    if (!this.host.isLeader() && this.host.forward !== undefined) {
      return LeaseTimeToLiveResponse.decode(await this.forward('timetolive', LeaseTimeToLiveRequest.encode(request)));
    }
    return this.localTimeToLive(request);
  }

  /** LeaseLeases: every lease id this member knows, ascending. Header left unset. */
  leases(): LeaseLeasesResponse {
    return LeaseLeasesResponse.create({ leases: this.lessor.ids().map((ID) => LeaseStatus.create({ ID })) });
  }

  /** Serves a request a follower forwarded (encoded in, encoded out). Throws EtcdError. */
  async serveForwarded(kind: LeaseForwardKind, request: Uint8Array): Promise<Uint8Array> {
    if (!this.host.isLeader()) throw etcdError('ERR_NOT_LEADER');
    if (kind === 'timetolive') {
      return LeaseTimeToLiveResponse.encode(this.localTimeToLive(LeaseTimeToLiveRequest.decode(request)));
    }
    const { ID } = LeaseKeepAliveRequest.decode(request);
    let TTL = 0;
    try {
      TTL = await this.keepAlive(ID);
    } catch (error) {
      if (!isEtcdError(error, 'ERR_LEASE_NOT_FOUND')) throw error;
    }
    return LeaseKeepAliveResponse.encode(LeaseKeepAliveResponse.create({ ID, TTL }));
  }

  private localTimeToLive(request: LeaseTimeToLiveRequest): LeaseTimeToLiveResponse {
    const lease = this.lessor.get(request.ID);
    if (lease === undefined) return LeaseTimeToLiveResponse.create({ ID: request.ID, TTL: -1, grantedTTL: 0 });
    const remainingMs = this.expiry.remainingMs(lease.id) ?? lease.ttlSeconds * 1000;
    return LeaseTimeToLiveResponse.create({
      ID: lease.id, TTL: remainingTtlSeconds(remainingMs), grantedTTL: lease.ttlSeconds,
      keys: request.keys ? this.lessor.keysOf(lease.id) : [],
    });
  }

  private forward(kind: LeaseForwardKind, request: Uint8Array): Promise<Uint8Array> {
    const leader = this.host.leaderId();
    if (leader === 0n) return Promise.reject(etcdError('ERR_NO_LEADER'));
    if (this.host.forward === undefined) return Promise.reject(etcdError('ERR_NOT_LEADER'));
    return this.host.forward(leader, kind, request);
  }

  /**
   * The leader's checkpoint round: every lease with more than one interval left gets its remaining TTL
   * (whole seconds, truncated as etcd) proposed, in batches of LEASE_CHECKPOINTS_PER_PROPOSAL_MAX.
   */
  private checkpointAll(intervalMs: number): void {
    if (!this.host.isLeader()) return;
    let batch: LeaseCheckpoint[] = [];
    for (const lease of this.lessor.all()) {
      const remainingMs = this.expiry.remainingMs(lease.id);
      if (remainingMs === undefined || remainingMs <= intervalMs) continue;
      batch.push(LeaseCheckpoint.create({ ID: lease.id, remainingTTL: remainingTtlSeconds(remainingMs) }));
      if (batch.length === LEASE_CHECKPOINTS_PER_PROPOSAL_MAX) {
        this.proposeCheckpoints(batch);
        batch = [];
      }
    }
    if (batch.length > 0) this.proposeCheckpoints(batch);
  }

  private proposeCheckpoints(checkpoints: LeaseCheckpoint[]): void {
    assert(checkpoints.length > 0 && checkpoints.length <= LEASE_CHECKPOINTS_PER_PROPOSAL_MAX, 'bad checkpoint batch');
    const request = InternalRaftRequest.create({ leaseCheckpoint: LeaseCheckpointRequest.create({ checkpoints }) });
    this.host.propose(request).catch((error: unknown) => {
      this.host.warn({ leases: checkpoints.length, err: String(error) }, 'failed to checkpoint leases');
    });
  }

  /** One round of the leader's revoke loop: proposes LeaseRevoke for up to the rate limit of expired leases. */
  private revokeExpired(): void {
    if (!this.host.isLeader()) return;
    const expired = this.expiry.takeExpired(REVOKES_PER_CHECK_MAX);
    assert(expired.length <= REVOKES_PER_CHECK_MAX, 'revoke batch over the rate limit');
    for (const id of expired) {
      this.revoke(id).then(() => this.host.leaseExpired?.(), (error: unknown) => {
        if (!isEtcdError(error, 'ERR_LEASE_NOT_FOUND')) this.host.warn({ lease: id.toString(16), err: String(error) }, 'failed to revoke an expired lease');
      });
    }
  }
}

/** The MVCC store's hand-over of keys attached to leases at open. */
export interface RestoredLeases {
  takeRestoredLeases(): Array<{ key: Uint8Array; lease: bigint }>;
}
