/**
 * Leader-only lease expiry ("primary lessor"): deadlines on the injected monotonic Clock, renewed by
 * keepalives, refreshed to a full TTL (plus `extendMs`) when this member becomes leader. Followers hold
 * no deadlines and run no timers. The tracker only decides *which* leases to revoke; revocation itself
 * goes through raft as a LeaseRevoke proposal, so apply never depends on a clock.
 */
import { assert } from '../base/assert.js';
import type { Clock } from '../base/clock.js';
import type { LeaseId } from '../base/ids.js';
import type { Lease, LeaseObserver } from './lessor.js';

/**
 * Robustness canary (tests/robustness): TETCD_CANARY_BUG=lease-early-expiry makes the leader expire
 * leases at half their TTL; the robustness lease checker must catch it. Never set it otherwise.
 */
const MS_PER_TTL_SECOND = process.env['TETCD_CANARY_BUG'] === 'lease-early-expiry' ? 500 : 1000;

/** After a lease is handed out for revocation, it is handed out again after this if still present. */
export const REVOKE_RETRY_MS = 3000;
/** Stale heap entries tolerated beyond the live deadlines before the heap is rebuilt. */
const HEAP_SLACK_ENTRIES = 1024;

interface Deadline { id: LeaseId; atMs: number }

export class LeaseExpiry implements LeaseObserver {
  /** Invariant: non-empty only while primary. Every live deadline also sits in `heap` (plus stale ones). */
  private readonly deadlines = new Map<LeaseId, number>();
  private heap: Deadline[] = [];
  /** Leases handed out by takeExpired and not yet revoked: they can no longer be renewed. */
  private readonly revoking = new Set<LeaseId>();
  private primary = false;

  constructor(private readonly clock: Clock) {}

  isPrimary(): boolean {
    return this.primary;
  }

  /**
   * Becomes primary: every lease gets a fresh deadline of its remaining TTL as last checkpointed (its
   * full TTL when never checkpointed) plus `extendMs`.
   */
  promote(leases: Iterable<Lease>, extendMs: number): void {
    assert(extendMs >= 0, `negative lease extension ${extendMs}`);
    this.primary = true;
    this.deadlines.clear();
    this.revoking.clear();
    this.heap = [];
    const nowMs = this.clock.nowMs();
    for (const lease of leases) {
      const ttlSeconds = lease.remainingTtlSeconds > 0 ? lease.remainingTtlSeconds : lease.ttlSeconds;
      this.set(lease.id, nowMs + ttlSeconds * MS_PER_TTL_SECOND + extendMs);
    }
  }

  /** Stops being primary: forgets every deadline. */
  demote(): void {
    this.primary = false;
    this.deadlines.clear();
    this.revoking.clear();
    this.heap = [];
  }

  granted(lease: Lease): void {
    if (this.primary) this.set(lease.id, this.clock.nowMs() + lease.ttlSeconds * MS_PER_TTL_SECOND);
  }

  revoked(id: LeaseId): void {
    this.deadlines.delete(id);
    this.revoking.delete(id);
  }

  /**
   * Renews `lease` to its full TTL. Returns false (and changes nothing) if not primary or if the lease
   * is already past its deadline (it is being revoked; etcd answers such keepalives with TTL 0).
   */
  renew(lease: Lease): boolean {
    if (!this.primary || this.revoking.has(lease.id)) return false;
    const remainingMs = this.remainingMs(lease.id);
    if (remainingMs !== undefined && remainingMs <= 0) return false;
    this.set(lease.id, this.clock.nowMs() + lease.ttlSeconds * MS_PER_TTL_SECOND);
    return true;
  }

  /**
   * Milliseconds until `id` expires (0 or negative once past, 0 while being revoked), or undefined if it
   * has no deadline here.
   */
  remainingMs(id: LeaseId): number | undefined {
    if (this.revoking.has(id)) return 0;
    const atMs = this.deadlines.get(id);
    return atMs === undefined ? undefined : atMs - this.clock.nowMs();
  }

  /**
   * Up to `limit` leases past their deadline, earliest first. Each is given a retry deadline
   * REVOKE_RETRY_MS ahead, so it is handed out again only if its revocation did not happen.
   */
  takeExpired(limit: number): LeaseId[] {
    assert(limit > 0, 'takeExpired limit must be positive');
    const nowMs = this.clock.nowMs();
    const expired: LeaseId[] = [];
    while (expired.length < limit && this.heap.length > 0 && this.heap[0]!.atMs <= nowMs) {
      const top = this.pop();
      if (this.deadlines.get(top.id) !== top.atMs) continue; // stale entry: renewed or revoked since
      expired.push(top.id);
      this.revoking.add(top.id);
      this.set(top.id, nowMs + REVOKE_RETRY_MS);
    }
    return expired;
  }

  private set(id: LeaseId, atMs: number): void {
    this.deadlines.set(id, atMs);
    this.push({ id, atMs });
    if (this.heap.length > 2 * this.deadlines.size + HEAP_SLACK_ENTRIES) this.rebuild();
  }

  private rebuild(): void {
    this.heap = [];
    for (const [id, atMs] of this.deadlines) this.push({ id, atMs });
    assert(this.heap.length === this.deadlines.size, 'heap rebuild lost entries');
  }

  private push(entry: Deadline): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.atMs <= entry.atMs) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): Deadline {
    const heap = this.heap;
    const top = heap[0];
    assert(top !== undefined, 'pop from an empty heap');
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.atMs < heap[left]!.atMs ? right : left;
      if (heap[child]!.atMs >= last.atMs) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
