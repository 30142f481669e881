/**
 * Applies committed Raft entries to the state machine in order, exactly once: entries at or below the
 * applied (consistent) index are skipped, so replaying the WAL after a crash is idempotent. Each entry
 * is applied in one synchronous turn together with its consistent index, so the backend commits both
 * atomically. The proposer (if it is this member) is handed the result through the wait registry.
 */
import { assert } from '../../base/assert.js';
import { EtcdError } from '../../base/errors.js';
import { InternalRaftRequest } from '../../proto/gen/etcdserverpb.js';
import { decodeConfChangeV2 } from '../../raft/conf-change-codec.js';
import type { RawNodeApi } from '../../raft/api.js';
import { EntryType, type ConfState, type Entry } from '../../raft/types.js';
import type { MvccStore } from '../../mvcc/store.js';
import type { Logger } from '../../platform/logger.js';
import type { WaitRegistry } from '../wait.js';
import type { KvApplier } from './kv-applier.js';

export interface ApplyResult {
  response?: unknown;
  error?: EtcdError;
  /** Set for compactions: settles when the physical (backend) compaction finished. */
  physicalDone?: Promise<void>;
}

export class EntryApplier {
  private latestConfState: ConfState | undefined;

  constructor(
    private readonly node: RawNodeApi,
    private readonly store: MvccStore,
    private readonly kv: KvApplier,
    private readonly wait: WaitRegistry<ApplyResult>,
    public appliedIndex: number,
    private readonly logger: Logger,
    private readonly warnApplyMs: number,
  ) {}

  confState(fallback: ConfState): ConfState {
    return this.latestConfState ?? fallback;
  }

  apply(entries: Entry[]): void {
    for (const entry of entries) {
      if (entry.index <= this.appliedIndex) continue;
      assert(entry.index === this.appliedIndex + 1, `apply gap: applied ${this.appliedIndex}, next ${entry.index}`);
      if (entry.type === EntryType.Normal) {
        if (entry.data.length > 0) this.applyRequest(entry);
      } else {
        this.latestConfState = this.node.applyConfChange(decodeConfChangeV2(entry.data));
      }
      this.store.setConsistentIndex(entry.index);
      this.appliedIndex = entry.index;
    }
  }

  private applyRequest(entry: Entry): void {
    const request = InternalRaftRequest.decode(entry.data);
    const started = performance.now();
    const result = this.dispatch(request);
    const tookMs = performance.now() - started;
    if (tookMs > this.warnApplyMs) {
      this.logger.warn({ 'took': `${tookMs.toFixed(1)}ms`, 'expected-duration': `${this.warnApplyMs}ms`, index: entry.index },
        'apply request took too long');
    }
    this.wait.trigger(request.ID, result);
  }

  private dispatch(request: InternalRaftRequest): ApplyResult {
    try {
      if (request.put !== undefined) return { response: this.kv.put(request.put).response };
      if (request.deleteRange !== undefined) return { response: this.kv.deleteRange(request.deleteRange).response };
      if (request.txn !== undefined) return { response: this.kv.txn(request.txn).response };
      if (request.compaction !== undefined) {
        const { response, done } = this.kv.compact(request.compaction);
        done.catch((error: unknown) => this.logger.error({ err: error }, 'physical compaction failed'));
        return { response, physicalDone: done };
      }
      this.logger.warn({ id: request.ID.toString(16) }, 'ignoring a raft request of a kind this version does not apply');
      return {};
    } catch (error) {
      if (error instanceof EtcdError) return { error };
      throw error;
    }
  }
}
