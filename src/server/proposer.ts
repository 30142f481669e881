/**
 * Proposals through raft and the wait for their apply results: the request id, the size limit, the
 * retry while no leader is known, and the request timeout (etcd's processInternalRaftRequest).
 */
import { etcdError } from '../base/errors.js';
import { InternalRaftRequest } from '../proto/gen/etcdserverpb.js';
import type { RawNodeApi } from '../raft/api.js';
import type { ConfChangeV2 } from '../raft/types.js';
import type { ApplyResult } from './apply/entry-applier.js';
import type { IdGenerator } from './id-generator.js';
import type { WaitRegistry } from './wait.js';

export interface ProposerDeps {
  node: () => RawNodeApi;
  /** Signals the Ready loop after a proposal. */
  wake: () => void;
  wait: WaitRegistry<ApplyResult>;
  ids: IdGenerator;
  isStopping: () => boolean;
  hasLeader: () => boolean;
  /** Counts a proposal that failed (etcd_server_proposals_failed_total). */
  onFailed: () => void;
  maxRequestBytes: number;
  /** How often a dropped proposal is retried (the heartbeat interval). */
  retryIntervalMs: number;
  requestTimeoutMs: number;
}

export class Proposer {
  constructor(private readonly deps: ProposerDeps) {}

  /**
   * Proposes `request` (its ID is set here) and resolves with its apply result.
   * Throws ERR_STOPPED, ERR_REQUEST_TOO_LARGE, ERR_TIMEOUT, or the error the apply produced.
   */
  async propose(request: InternalRaftRequest, timeoutMs = this.deps.requestTimeoutMs): Promise<ApplyResult> {
    if (this.deps.isStopping()) throw etcdError('ERR_STOPPED');
    const id = this.deps.ids.nextId();
    request.ID = id;
    const data = InternalRaftRequest.encode(request);
    if (data.length > this.deps.maxRequestBytes) throw etcdError('ERR_REQUEST_TOO_LARGE');
    const pending = this.deps.wait.register(id);
    this.proposeUntilAccepted(id, data, performance.now() + timeoutMs);
    return this.awaitResult(id, pending, timeoutMs);
  }

  /** Proposes a membership change; resolves when it is applied. Throws ERR_STOPPED, ERR_NO_LEADER, ERR_TIMEOUT. */
  async proposeConfChange(change: ConfChangeV2, requestId: bigint): Promise<void> {
    if (this.deps.isStopping()) throw etcdError('ERR_STOPPED');
    const pending = this.deps.wait.register(requestId);
    const dropped = this.deps.node().proposeConfChange(change);
    if (dropped !== null) this.deps.wait.fail(requestId, etcdError(this.deps.hasLeader() ? 'ERR_TIMEOUT' : 'ERR_NO_LEADER'));
    this.deps.wake();
    await this.awaitResult(requestId, pending, this.deps.requestTimeoutMs);
  }

  /**
   * Raft drops proposals while no leader is known; etcd's proposer then blocks until a leader appears or
   * the request times out. Retry every heartbeat until accepted or the deadline passes (awaitResult's
   * timer fails the waiter then).
   */
  private proposeUntilAccepted(id: bigint, data: Uint8Array, deadlineMs: number): void {
    if (this.deps.isStopping() || !this.deps.wait.has(id)) return;
    if (this.deps.node().propose(data) === null) {
      this.deps.wake();
      return;
    }
    if (performance.now() >= deadlineMs) return;
    setTimeout(() => this.proposeUntilAccepted(id, data, deadlineMs), this.deps.retryIntervalMs);
  }

  private async awaitResult(id: bigint, pending: Promise<ApplyResult>, timeoutMs: number): Promise<ApplyResult> {
    const timer = setTimeout(() => this.deps.wait.fail(id, etcdError('ERR_TIMEOUT')), timeoutMs);
    try {
      const result = await pending.catch((error: unknown) => {
        this.deps.onFailed();
        throw error;
      });
      if (result.error !== undefined) throw result.error;
      return result;
    } finally {
      clearTimeout(timer);
    }
  }
}
