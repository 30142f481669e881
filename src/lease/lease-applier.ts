/**
 * Applies the lease kinds of InternalRaftRequest (leaseGrant, leaseRevoke, leaseCheckpoint) on every
 * member. A revocation deletes every attached key in ONE MVCC write transaction (one revision, one
 * DELETE event per key) in the same apply turn as the lease bucket update, so both commit atomically
 * with the entry's consistent index.
 */
import { assert } from '../base/assert.js';
import type { InternalRaftRequest } from '../proto/gen/etcdserverpb.js';
import {
  LeaseCheckpointResponse, LeaseGrantResponse, LeaseRevokeResponse, ResponseHeader,
} from '../proto/gen/etcdserverpb.js';
import type { Event } from '../proto/gen/mvccpb.js';
import type { Lessor } from './lessor.js';

/** The MVCC store as a revocation needs it (implemented by src/mvcc's MvccStore). */
export interface LeaseWriteStore {
  currentRevision(): number;
  write(): {
    deleteRange(key: Uint8Array, rangeEnd: Uint8Array): { deleted: number };
    end(): { revision: number; events: Event[] };
  };
}

/** What applying one lease request produced; `events` are the DELETEs of a revocation (else empty). */
export interface LeaseApplyOutcome {
  response: LeaseGrantResponse | LeaseRevokeResponse | LeaseCheckpointResponse;
  events: Event[];
  revision: number;
}

const EMPTY = new Uint8Array(0);

export class LeaseApplier {
  constructor(private readonly lessor: Lessor, private store: LeaseWriteStore) {}

  /** After a snapshot install the MVCC store is a new object. */
  replaceStore(store: LeaseWriteStore): void {
    this.store = store;
  }

  /**
   * Applies `request` if it is a lease request; undefined for any other kind.
   * Throws EtcdError (ERR_LEASE_EXIST, ERR_LEASE_TTL_TOO_LARGE, ERR_LEASE_NOT_FOUND) for refused requests,
   * having changed nothing.
   */
  apply(request: InternalRaftRequest): LeaseApplyOutcome | undefined {
    if (request.leaseGrant !== undefined) {
      const lease = this.lessor.grant(request.leaseGrant.ID, request.leaseGrant.TTL);
      const revision = this.store.currentRevision();
      const header = ResponseHeader.create({ revision });
      const response = LeaseGrantResponse.create({ header, ID: lease.id, TTL: lease.ttlSeconds });
      return { response, events: [], revision };
    }
    if (request.leaseRevoke !== undefined) return this.revoke(request.leaseRevoke.ID);
    if (request.leaseCheckpoint !== undefined) {
      for (const checkpoint of request.leaseCheckpoint.checkpoints) {
        this.lessor.checkpoint(checkpoint.ID, Math.max(0, checkpoint.remainingTTL));
      }
      const revision = this.store.currentRevision();
      const response = LeaseCheckpointResponse.create({ header: ResponseHeader.create({ revision }) });
      return { response, events: [], revision };
    }
    return undefined;
  }

  private revoke(id: bigint): LeaseApplyOutcome {
    const keys = this.lessor.revoke(id);
    const before = this.store.currentRevision();
    let events: Event[] = [];
    let revision = before;
    if (keys.length > 0) {
      const txn = this.store.write();
      for (const key of keys) txn.deleteRange(key, EMPTY);
      ({ revision, events } = txn.end());
      assert(revision === before + (events.length > 0 ? 1 : 0), `lease revocation moved the revision from ${before} to ${revision}`);
    }
    return { response: LeaseRevokeResponse.create({ header: ResponseHeader.create({ revision }) }), events, revision };
  }
}
