/**
 * Applies committed Raft entries to the state machine in order, exactly once: entries at or below the
 * applied (consistent) index are skipped, so replaying the WAL after a crash is idempotent. Each entry
 * is applied in one synchronous turn together with its consistent index, so the backend commits both
 * atomically. The proposer (if it is this member) is handed the result through the wait registry.
 */
import { assert } from '../../base/assert.js';
import { crashPoint } from '../../platform/crash-points.js';
import { EtcdError } from '../../base/errors.js';
import { InternalRaftRequest } from '../../proto/gen/etcdserverpb.js';
import { decodeConfChangeV2 } from '../../raft/conf-change-codec.js';
import { EntryType, type ConfChangeV2, type ConfState, type Entry } from '../../raft/types.js';
import type { MvccStore } from '../../mvcc/store.js';
import type { Event } from '../../proto/gen/mvccpb.js';
import type { Logger } from '../../platform/logger.js';
import type { WaitRegistry } from '../wait.js';
import type { KvApplier } from './kv-applier.js';
import type { AuthApplier } from './auth-applier.js';

export interface ApplyResult {
  response?: unknown;
  error?: EtcdError;
  /** Set for compactions: settles when the physical (backend) compaction finished. */
  physicalDone?: Promise<void>;
}

/** Entry kinds the server applies itself (membership, attributes). */
export interface ClusterApplier {
  /** Applies a committed conf change (membership + raft) and returns the new ConfState. */
  applyConfChange(change: ConfChangeV2, index: number): ConfState;
  /** Re-applies an already persisted conf change to raft only (membership is in the backend). */
  replayConfChange(change: ConfChangeV2): ConfState;
  /** Applies requests that are not KV requests (member attributes, ...); undefined if unknown. */
  applyClusterRequest(request: InternalRaftRequest): ApplyResult | undefined;
}

/** Applies lease requests (src/lease's LeaseApplier); undefined for other kinds. Throws EtcdError. */
export interface LeaseRequestApplier {
  apply(request: InternalRaftRequest): { response: unknown; events: Event[]; revision: number } | undefined;
}

/** Receives the events of every applied write, in revision order (watchers subscribe here). */
export type EventsListener = (events: Event[], revision: number) => void;

export class EntryApplier {
  private latestConfState: ConfState | undefined;
  private readonly eventListeners: EventsListener[] = [];
  /** Set by the server once its lessor exists; lease requests are ignored without one. */
  leaseApplier: LeaseRequestApplier | undefined;
  /** Set by the server: applies auth requests and checks write permissions (after applyGuard). */
  authApplier: AuthApplier | undefined;
  /**
   * Invariant: appliedIndex is the last entry raft handed over (raft's applied); consistentIndex is the
   * last entry whose effects are in the backend. After a restart or snapshot install consistentIndex may
   * be ahead: entries up to it are not applied again, except that conf changes are replayed into raft
   * (raft's configuration lives in memory and must see every change, as in etcd).
   */
  private consistentIndex: number;

  constructor(
    private readonly cluster: ClusterApplier,
    private store: MvccStore,
    private kv: KvApplier,
    private readonly wait: WaitRegistry<ApplyResult>,
    public appliedIndex: number,
    private readonly logger: Logger,
    private readonly warnApplyMs: number,
  ) {
    this.consistentIndex = Math.max(appliedIndex, store.consistentIndex());
  }

  /** After a snapshot install: raft resumes after `snapshotIndex`; the new store is at its own index. */
  replaceStateMachine(store: MvccStore, kv: KvApplier, snapshotIndex: number, confState: ConfState): void {
    assert(snapshotIndex >= this.appliedIndex, 'snapshot would move the applied index backwards');
    this.store = store;
    this.kv = kv;
    this.appliedIndex = snapshotIndex;
    this.consistentIndex = Math.max(snapshotIndex, store.consistentIndex());
    this.latestConfState = confState;
  }

  /** Called for each request whose apply took longer than the warning threshold (etcd_server_slow_apply_total). */
  onSlowApply: (() => void) | undefined;

  /** Subscribes to the events of applied writes (called synchronously inside the apply turn). */
  onEvents(listener: EventsListener): void {
    this.eventListeners.push(listener);
  }

  private publish(outcome: { events: Event[]; revision: number }): void {
    if (outcome.events.length === 0) return;
    for (const listener of this.eventListeners) listener(outcome.events, outcome.revision);
  }

  confState(fallback: ConfState): ConfState {
    return this.latestConfState ?? fallback;
  }

  apply(entries: Entry[]): void {
    for (const entry of entries) {
      if (entry.index <= this.appliedIndex) continue;
      assert(entry.index === this.appliedIndex + 1, `apply gap: applied ${this.appliedIndex}, next ${entry.index}`);
      const alreadyInBackend = entry.index <= this.consistentIndex;
      if (entry.type !== EntryType.Normal) {
        const change = decodeConfChangeV2(entry.data);
        this.latestConfState = alreadyInBackend
          ? this.cluster.replayConfChange(change)
          : this.cluster.applyConfChange(change, entry.index);
      } else if (!alreadyInBackend && entry.data.length > 0) {
        this.applyRequest(entry);
      }
      if (!alreadyInBackend) {
        this.store.setConsistentIndex(entry.index);
        this.consistentIndex = entry.index;
      }
      this.appliedIndex = entry.index;
      crashPoint('apply.mid-batch');
    }
  }

  private applyRequest(entry: Entry): void {
    const request = InternalRaftRequest.decode(entry.data);
    const started = performance.now();
    const result = this.dispatch(request, entry.index);
    const tookMs = performance.now() - started;
    if (tookMs > this.warnApplyMs) {
      this.onSlowApply?.();
      this.logger.warn({ 'took': `${tookMs.toFixed(1)}ms`, 'expected-duration': `${this.warnApplyMs}ms`, index: entry.index },
        'apply request took too long');
    }
    this.wait.trigger(request.ID, result);
  }

  /**
   * Runs before the KV/lease appliers (etcd's capped and corrupt appliers, and server-level requests such
   * as alarms): throwing an EtcdError rejects the request on every member alike; returning a result
   * completes it without the other appliers.
   */
  applyGuard: ((request: InternalRaftRequest) => ApplyResult | undefined) | undefined;

  private dispatch(request: InternalRaftRequest, index: number): ApplyResult {
    try {
      const guarded = this.applyGuard?.(request);
      if (guarded !== undefined) return guarded;
      const authResult = this.authApplier?.apply(request, index);
      if (authResult !== undefined) return authResult;
      const write = request.put !== undefined ? this.kv.put(request.put)
        : request.deleteRange !== undefined ? this.kv.deleteRange(request.deleteRange)
          : request.txn !== undefined ? this.kv.txn(request.txn) : undefined;
      if (write !== undefined) {
        this.publish(write);
        return { response: write.response };
      }
      if (request.compaction !== undefined) {
        const { response, done } = this.kv.compact(request.compaction);
        done.catch((error: unknown) => this.logger.error({ err: error }, 'physical compaction failed'));
        return { response, physicalDone: done };
      }
      const leaseOutcome = this.leaseApplier?.apply(request);
      if (leaseOutcome !== undefined) {
        this.publish(leaseOutcome);
        return { response: leaseOutcome.response };
      }
      const clusterResult = this.cluster.applyClusterRequest(request);
      if (clusterResult !== undefined) return clusterResult;
      this.logger.warn({ id: request.ID.toString(16) }, 'ignoring a raft request of a kind this version does not apply');
      return {};
    } catch (error) {
      if (error instanceof EtcdError) return { error };
      throw error;
    }
  }
}
