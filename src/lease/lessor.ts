/**
 * The lessor: the replicated lease state (which leases exist, their granted TTLs and the keys attached
 * to them), kept in memory and persisted in the backend `lease` bucket. Every method here is applied
 * identically on every member from committed raft entries, so none of them reads a clock; expiry is
 * tracked separately, by the leader only (see expiry.ts), through the LeaseObserver hook.
 */
import { assert } from '../base/assert.js';
import { etcdError } from '../base/errors.js';
import type { LeaseId } from '../base/ids.js';
import { Limits } from '../base/limits.js';
import type { Backend } from '../backend/backend.js';
import { binaryStringToBytes, bytesToBinaryString, compareBinaryStrings } from '../backend/bytes.js';
import { decodeLeaseKey, decodeLeaseRecord, encodeLeaseKey, encodeLeaseRecord, type LeaseRecord } from './lease-codec.js';

/** What the lessor needs from the backend (implemented by src/backend's Backend). */
export type LeaseBackend = Pick<Backend, 'put' | 'delete' | 'range'>;

/** One live lease. `keys` are binary strings (one char per byte), as the MVCC key index uses. */
export interface Lease {
  readonly id: LeaseId;
  readonly ttlSeconds: number;
  remainingTtlSeconds: number;
  readonly keys: Set<string>;
}

/** Told about grants and revocations as they are applied (the leader's expiry tracker listens). */
export interface LeaseObserver {
  granted(lease: Lease): void;
  revoked(id: LeaseId): void;
}

/** Leases a single member holds at most (a bound on memory; etcd has none, this is generous). */
export const LEASES_MAX = 10_000_000;

export class Lessor {
  private readonly leases = new Map<LeaseId, Lease>();
  observer: LeaseObserver | undefined;

  /**
   * @param minTtlSeconds TTLs below this are raised to it (ceil(1.5 x election timeout)).
   * Throws AssertionError unless minTtlSeconds is a positive safe integer.
   */
  constructor(private backend: LeaseBackend, readonly minTtlSeconds: number) {
    assert(Number.isSafeInteger(minTtlSeconds) && minTtlSeconds > 0, `bad minimum lease TTL ${minTtlSeconds}`);
  }

  /**
   * Replaces the whole state with what `backend` holds (start-up or snapshot install) and re-attaches
   * `attached` keys (live keys with a lease, from the MVCC key index). Keys naming a lease that does not
   * exist are ignored, as etcd does. Throws CorruptionError on malformed records.
   */
  restore(backend: LeaseBackend, attached: Iterable<{ key: Uint8Array; lease: LeaseId }>): void {
    this.backend = backend;
    for (const id of [...this.leases.keys()]) this.observer?.revoked(id);
    this.leases.clear();
    for (const [key, value] of backend.range('lease', new Uint8Array(0))) {
      const record = decodeLeaseRecord(value);
      assert(decodeLeaseKey(key) === record.id, `lease bucket key does not match record id ${record.id}`);
      this.leases.set(record.id, { id: record.id, ttlSeconds: record.ttlSeconds,
        remainingTtlSeconds: record.remainingTtlSeconds, keys: new Set() });
    }
    for (const { key, lease } of attached) this.leases.get(lease)?.keys.add(bytesToBinaryString(key));
    for (const lease of this.leases.values()) this.observer?.granted(lease);
  }

  /** Whether lease `id` exists (the KV applier's check for puts with a lease). */
  exists(id: LeaseId): boolean {
    return this.leases.has(id);
  }

  get(id: LeaseId): Lease | undefined {
    return this.leases.get(id);
  }

  /** Every lease id, ascending. */
  ids(): LeaseId[] {
    return [...this.leases.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  all(): IterableIterator<Lease> {
    return this.leases.values();
  }

  get size(): number {
    return this.leases.size;
  }

  /**
   * Applies LeaseGrant: creates lease `id` with `ttlSeconds` raised to the minimum and persists it.
   * Throws EtcdError ERR_LEASE_NOT_FOUND for id 0, ERR_LEASE_TTL_TOO_LARGE above etcd's maximum,
   * ERR_LEASE_EXIST for a duplicate id.
   */
  grant(id: LeaseId, ttlSeconds: number): Lease {
    if (id === 0n) throw etcdError('ERR_LEASE_NOT_FOUND');
    if (ttlSeconds > Limits.leaseTtlSecondsMax) throw etcdError('ERR_LEASE_TTL_TOO_LARGE');
    if (this.leases.has(id)) throw etcdError('ERR_LEASE_EXIST');
    assert(this.leases.size < LEASES_MAX, 'too many leases');
    const ttl = Math.max(ttlSeconds, this.minTtlSeconds);
    const lease: Lease = { id, ttlSeconds: ttl, remainingTtlSeconds: 0, keys: new Set() };
    this.persist(lease);
    this.leases.set(id, lease);
    this.observer?.granted(lease);
    return lease;
  }

  /**
   * Applies LeaseRevoke's lease half: removes lease `id` from memory and the backend and returns its
   * attached keys in ascending byte order (the caller deletes them in one MVCC write).
   * Throws EtcdError ERR_LEASE_NOT_FOUND for an unknown id.
   */
  revoke(id: LeaseId): Uint8Array[] {
    const lease = this.leases.get(id);
    if (lease === undefined) throw etcdError('ERR_LEASE_NOT_FOUND');
    const keys = [...lease.keys].sort(compareBinaryStrings).map(binaryStringToBytes);
    this.leases.delete(id);
    this.backend.delete('lease', encodeLeaseKey(id));
    this.observer?.revoked(id);
    assert(!this.leases.has(id), 'revoked lease still present');
    return keys;
  }

  /** Applies a checkpoint: records the remaining TTL (persisted). Unknown ids are ignored, as etcd does. */
  checkpoint(id: LeaseId, remainingTtlSeconds: number): void {
    const lease = this.leases.get(id);
    if (lease === undefined) return;
    assert(Number.isSafeInteger(remainingTtlSeconds) && remainingTtlSeconds >= 0, `bad remaining TTL ${remainingTtlSeconds}`);
    lease.remainingTtlSeconds = remainingTtlSeconds;
    this.persist(lease);
  }

  /** Attaches `key` to lease `id` (a put with that lease was applied). Unknown ids are ignored. */
  attach(id: LeaseId, key: Uint8Array): void {
    this.leases.get(id)?.keys.add(bytesToBinaryString(key));
  }

  /** Detaches `key` from lease `id` (the key was deleted or moved to another lease). */
  detach(id: LeaseId, key: Uint8Array): void {
    this.leases.get(id)?.keys.delete(bytesToBinaryString(key));
  }

  /** The keys attached to `id` in ascending byte order (empty for an unknown id). */
  keysOf(id: LeaseId): Uint8Array[] {
    const lease = this.leases.get(id);
    if (lease === undefined) return [];
    return [...lease.keys].sort(compareBinaryStrings).map(binaryStringToBytes);
  }

  private persist(lease: Lease): void {
    const record: LeaseRecord = {
      id: lease.id, ttlSeconds: lease.ttlSeconds, remainingTtlSeconds: lease.remainingTtlSeconds,
    };
    this.backend.put('lease', encodeLeaseKey(lease.id), encodeLeaseRecord(record));
  }
}
