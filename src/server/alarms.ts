/**
 * Cluster alarms (NOSPACE, CORRUPT), replicated through raft and persisted in the backend's `alarm`
 * bucket (key: the marshaled AlarmMember, as etcd stores them). While NOSPACE is active anywhere, writes
 * that add data (Put, LeaseGrant, Txn with a put) fail with "database space exceeded"; deletes, reads,
 * compaction, lease revoke, defrag and disarm still work. While CORRUPT is active, data requests fail with
 * "corrupt cluster". The quota check (--quota-backend-bytes) raises NOSPACE for the member that hits it.
 */
import { etcdError } from '../base/errors.js';
import type { Backend } from '../backend/backend.js';
import {
  AlarmMember, AlarmRequest_AlarmAction, AlarmType, type AlarmRequest, type TxnRequest,
} from '../proto/gen/etcdserverpb.js';

const EMPTY = new Uint8Array(0);
const ALARM_NAMES: Record<number, string> = { 0: 'NONE', 1: 'NOSPACE', 2: 'CORRUPT' };

/** etcd's name of an alarm type (`NOSPACE`), or its number when unknown. */
export function alarmName(type: number): string {
  return ALARM_NAMES[type] ?? String(type);
}

export class AlarmStore {
  private readonly active = new Map<string, AlarmMember>();

  constructor(private backend: Backend) {
    this.load();
  }

  /** After a snapshot install the backend object changes. */
  reset(backend: Backend): void {
    this.backend = backend;
    this.active.clear();
    this.load();
  }

  private load(): void {
    for (const [key] of this.backend.range('alarm', new Uint8Array([0]))) {
      const member = AlarmMember.decode(new Uint8Array(key));
      this.active.set(alarmKey(member), member);
    }
  }

  list(type: number = AlarmType.NONE): AlarmMember[] {
    return [...this.active.values()].filter((a) => type === AlarmType.NONE || a.alarm === type)
      .sort((a, b) => (a.memberID < b.memberID ? -1 : a.memberID > b.memberID ? 1 : a.alarm - b.alarm));
  }

  has(type: number): boolean {
    return [...this.active.values()].some((a) => a.alarm === type);
  }

  /** Applies a committed Alarm request; returns the alarms the response lists (etcd's semantics). */
  apply(request: AlarmRequest): AlarmMember[] {
    const member = AlarmMember.create({ memberID: request.memberID, alarm: request.alarm });
    switch (request.action) {
      case AlarmRequest_AlarmAction.ACTIVATE:
        if (request.alarm === AlarmType.NONE) return [];
        if (!this.active.has(alarmKey(member))) {
          this.active.set(alarmKey(member), member);
          this.backend.put('alarm', AlarmMember.encode(member).slice(), EMPTY);
        }
        return [member];
      case AlarmRequest_AlarmAction.DEACTIVATE: {
        const existing = this.active.get(alarmKey(member));
        if (existing === undefined) return [];
        this.active.delete(alarmKey(member));
        this.backend.delete('alarm', AlarmMember.encode(member).slice());
        return [existing];
      }
      default:
        return this.list(request.alarm);
    }
  }

  /** Throws the error a data request gets under the active alarms (CORRUPT rejects everything). */
  checkData(): void {
    if (this.has(AlarmType.CORRUPT)) throw etcdError('ERR_CORRUPT');
  }

  /** Throws "database space exceeded" for requests that add data while NOSPACE is active. */
  checkSpace(): void {
    if (this.has(AlarmType.NOSPACE)) throw etcdError('ERR_NO_SPACE');
  }

  /** etcd's Status.errors strings: `memberID:<decimal> alarm:NOSPACE `. */
  statusErrors(): string[] {
    return this.list().map((a) => `memberID:${a.memberID} alarm:${alarmName(a.alarm)} `);
  }
}

function alarmKey(member: AlarmMember): string {
  return `${member.memberID}:${member.alarm}`;
}

/** True when a txn may add data at any depth (etcd's capped applier rejects those). */
export function txnHasPut(txn: TxnRequest): boolean {
  return [...txn.success, ...txn.failure].some((op) =>
    op.requestPut !== undefined || (op.requestTxn !== undefined && txnHasPut(op.requestTxn)));
}

/** etcd's quota cost estimate of a request: key + value + per-key overhead. */
export const QUOTA_OVERHEAD_BYTES_PER_KEY = 256;
