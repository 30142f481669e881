/**
 * etcd's quota and alarm gates: before proposing (quotaKVServer: refuse writes that add data over the
 * quota, raising NOSPACE) and at apply time (the capped and corrupt appliers, and the Alarm request).
 */
import { etcdError } from '../base/errors.js';
import { formatIdHex } from '../base/ids.js';
import type { Logger } from '../platform/logger.js';
import {
  AlarmRequest, AlarmRequest_AlarmAction, AlarmResponse, AlarmType, type InternalRaftRequest,
} from '../proto/gen/etcdserverpb.js';
import { QUOTA_OVERHEAD_BYTES_PER_KEY, txnHasPut, type AlarmStore } from './alarms.js';
import type { ApplyResult } from './apply/entry-applier.js';

export interface QuotaGuardDeps {
  alarms: AlarmStore;
  /** The backend file's current size (the backend is replaced by a snapshot install: read it each time). */
  backendSizeBytes: () => number;
  quotaBackendBytes: number;
  memberId: bigint;
  logger: Logger;
  /** Proposes an alarm change through raft. */
  proposeAlarm: (request: AlarmRequest) => Promise<unknown>;
}

export class QuotaGuard {
  /** An apply-time NOSPACE proposal is in flight (raise it once, not once per applied write). */
  private noSpaceProposalPending = false;

  constructor(private readonly deps: QuotaGuardDeps) {}

  /**
   * Checks alarms and the backend quota before proposing a request that adds `costBytes`.
   * Throws ERR_CORRUPT / ERR_NO_SPACE (raising NOSPACE when this request would exceed the quota).
   */
  async checkBeforePropose(costBytes: number): Promise<void> {
    this.deps.alarms.checkData();
    this.deps.alarms.checkSpace();
    if (this.deps.backendSizeBytes() + costBytes < this.deps.quotaBackendBytes) return;
    await this.raiseNoSpace('exceeded the backend quota; raising the NOSPACE alarm');
    throw etcdError('ERR_NO_SPACE');
  }

  /** etcd's capped and corrupt appliers, and the Alarm request itself, at apply time. */
  guardApply(request: InternalRaftRequest): ApplyResult | undefined {
    const { alarms, logger } = this.deps;
    if (request.alarm !== undefined) {
      const list = alarms.apply(request.alarm);
      logger.warn({ action: request.alarm.action, alarm: request.alarm.alarm,
        'member-id': formatIdHex(request.alarm.memberID) },
      request.alarm.action === AlarmRequest_AlarmAction.ACTIVATE ? 'alarm raised' : 'alarm disarmed');
      return { response: AlarmResponse.create({ alarms: list }) };
    }
    const isData = request.put !== undefined || request.deleteRange !== undefined || request.txn !== undefined ||
      request.compaction !== undefined || request.leaseGrant !== undefined || request.leaseRevoke !== undefined;
    if (isData) alarms.checkData();
    if (request.put !== undefined || request.leaseGrant !== undefined ||
        (request.txn !== undefined && txnHasPut(request.txn))) {
      alarms.checkSpace();
      this.raiseNoSpaceOnApply(request.put === undefined ? QUOTA_OVERHEAD_BYTES_PER_KEY
        : request.put.key.length + request.put.value.length + QUOTA_OVERHEAD_BYTES_PER_KEY);
    }
    return undefined;
  }

  /**
   * As etcd's quota applier: every member checks its own backend when applying a request that adds data
   * and raises NOSPACE for itself when over quota (unless a NOSPACE alarm is already active). The write
   * itself is applied on every member, so their states never diverge.
   */
  private raiseNoSpaceOnApply(costBytes: number): void {
    if (this.deps.backendSizeBytes() + costBytes < this.deps.quotaBackendBytes) return;
    if (this.deps.alarms.list(AlarmType.NOSPACE).length > 0) return;
    void this.raiseNoSpace('exceeded the backend quota while applying; raising the NOSPACE alarm');
  }

  /** Proposes NOSPACE for this member (one proposal in flight at a time); never rejects. */
  private async raiseNoSpace(message: string): Promise<void> {
    if (this.noSpaceProposalPending) return;
    this.noSpaceProposalPending = true;
    this.deps.logger.warn({ 'quota-size-bytes': this.deps.quotaBackendBytes,
      'db-size-bytes': this.deps.backendSizeBytes() }, message);
    try {
      await this.deps.proposeAlarm(AlarmRequest.create({ action: AlarmRequest_AlarmAction.ACTIVATE,
        memberID: this.deps.memberId, alarm: AlarmType.NOSPACE }));
    } catch {
      // Not proposed (no leader, stopping): the next write over quota tries again.
    } finally {
      this.noSpaceProposalPending = false;
    }
  }
}
