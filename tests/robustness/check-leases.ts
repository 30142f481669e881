/**
 * Lease checks over the revision model (check-revisions.ts). A lease ends at a revision R (its keys'
 * DELETE events) through an acknowledged revoke, an indeterminate revoke, or expiry. Rules, as etcd's
 * robustness suite models lease expiry:
 *   - never early: a lease ended by expiry must not end before invoke + TTL of its grant or of any
 *     successful keepalive (the server starts the TTL no earlier than the request's invocation; a
 *     keepalive answered less than REVOKE_IN_FLIGHT_MS before the end was seen is not counted). The
 *     real time of R is bounded above by the first observation of a revision >= R (an op's response
 *     header or a watch response); any later time is allowed (expiry may be delayed by faults);
 *   - atomic and complete: every key attached to the lease at R - 1 is deleted at R;
 *   - final: no key is put with the lease after R, and no keepalive invoked after R was observed (or
 *     after an acknowledged revoke completed) is answered with a TTL > 0.
 * Returns synthetic `leaseExpire` ops (one per key a lease end deleted, effective at R, invoked with the
 * put that attached the key, returning at R's first observation) for the per-key WGL search.
 */
import type { History, Op } from './history.js';
import { kvAt, type RevisionModel } from './check-revisions.js';

/** Earliest real time at which each revision is known to exist. */
class Observations {
  private readonly revs: number[] = [];
  private readonly minTimes: number[] = [];

  constructor(history: History) {
    const points: Array<[number, number]> = [];
    for (const op of history.ops) {
      if (op.completeMs === null || op.rev === undefined) continue;
      if (op.kind === 'leaseGrant' || op.kind === 'leaseKeepAlive') continue;
      points.push([op.rev, op.completeMs]);
    }
    for (const seg of history.watches) for (const r of seg.responses) points.push([r.rev, r.atMs]);
    points.sort((a, b) => b[0] - a[0]);
    let min = Infinity;
    for (const [rev, atMs] of points) {
      min = Math.min(min, atMs);
      this.revs.push(rev);
      this.minTimes.push(min);
    }
  }

  /** Earliest time some response showed a revision >= rev (Infinity if none did). */
  firstSeenMs(rev: number): number {
    // revs descend; find the last index with revs[i] >= rev.
    let lo = 0;
    let hi = this.revs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.revs[mid]! >= rev) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? Infinity : this.minTimes[lo - 1]!;
  }
}

const fmtOp = (op: Op): string => `op#${op.id}(c${op.client}@${op.member} ${op.kind} lease=${op.lease} ttl=${op.ttl ?? '?'} ` +
  `[${op.invokeMs.toFixed(0)},${op.completeMs?.toFixed(0) ?? '?'}])`;

/** The op that wrote version `mod` (by effect revision), if known. */
function writerOf(model: RevisionModel, ops: Map<number, Op>, mod: number): Op | undefined {
  for (const [id, rev] of model.effectRev) if (rev === mod) return ops.get(id);
  return undefined;
}

/** Checks every lease end; returns the synthetic expiry ops for WGL. */
export function checkLeases(history: History, model: RevisionModel, violations: string[]): Op[] {
  const seen = new Observations(history);
  const byId = new Map(history.ops.map((op) => [op.id, op]));
  const byLease = new Map<string, Op[]>();
  for (const op of history.ops) {
    if (op.lease === undefined || op.lease === '0') continue;
    byLease.set(op.lease, [...byLease.get(op.lease) ?? [], op]);
  }
  const ends = [...model.leaseEnds];
  for (const op of history.ops) {
    const rev = model.effectRev.get(op.id);
    if (op.kind === 'leaseRevoke' && rev !== undefined) ends.push({ lease: op.lease!, rev });
  }
  const synthetic: Op[] = [];
  for (const { lease, rev } of ends) {
    const leaseOps = byLease.get(lease) ?? [];
    const seenMs = seen.firstSeenMs(rev);
    const expired = model.leaseEnds.some((e) => e.lease === lease && e.rev === rev);
    if (expired) checkNotEarly(lease, rev, seenMs, leaseOps, violations);
    checkComplete(model, lease, rev, violations);
    checkFinal(model, lease, rev, seenMs, leaseOps, violations);
    if (!expired) continue;
    for (const [key, versions] of model.versions) {
      if (!versions.some((v) => v.rev === rev && v.kv === null)) continue;
      const before = kvAt(model, key, rev - 1);
      const writer = before === null ? undefined : writerOf(model, byId, before.mod);
      const op: Op = { id: -(synthetic.length + 1), client: -1, member: '-', kind: 'leaseExpire', key, lease,
        invokeMs: writer?.invokeMs ?? 0, completeMs: seenMs === Infinity ? null : seenMs, rev };
      model.effectRev.set(op.id, rev);
      synthetic.push(op);
    }
  }
  return synthetic;
}

/**
 * A keepalive answered this shortly before a lease's end was seen may have renewed a lease whose expiry
 * revoke was already proposed (by a previous leader, see docs/reliability.md "Bugs found"): it does not
 * bound the expiry (the grant and earlier keepalives still do). One election timeout of the harness.
 */
export const REVOKE_IN_FLIGHT_MS = 1_000;

function checkNotEarly(lease: string, rev: number, seenMs: number, leaseOps: Op[], violations: string[]): void {
  // An indeterminate revoke invoked before the end was seen may be what ended it: no timing bound then.
  if (leaseOps.some((o) => o.kind === 'leaseRevoke' && o.invokeMs < seenMs)) return;
  let bound: { atMs: number; op: Op } | undefined;
  for (const o of leaseOps) {
    if ((o.kind !== 'leaseGrant' && o.kind !== 'leaseKeepAlive') || o.completeMs === null) continue;
    if (o.ttl === undefined || o.ttl <= 0 || o.invokeMs > seenMs) continue;
    if (o.kind === 'leaseKeepAlive' && o.completeMs > seenMs - REVOKE_IN_FLIGHT_MS) continue;
    const atMs = o.invokeMs + o.ttl * 1000;
    if (bound === undefined || atMs > bound.atMs) bound = { atMs, op: o };
  }
  if (bound !== undefined && seenMs < bound.atMs) {
    violations.push(`lease ${lease} expired early: its keys were deleted at revision ${rev}, seen at ` +
      `${seenMs.toFixed(0)} ms, but ${fmtOp(bound.op)} keeps it alive until ${bound.atMs.toFixed(0)} ms`);
  }
}

function checkComplete(model: RevisionModel, lease: string, rev: number, violations: string[]): void {
  for (const [key, versions] of model.versions) {
    if (kvAt(model, key, rev - 1)?.lease !== lease) continue;
    if (!versions.some((v) => v.rev === rev && v.kv === null)) {
      violations.push(`lease ${lease} ended at revision ${rev} but its key ${key} was not deleted then`);
    }
  }
}

function checkFinal(model: RevisionModel, lease: string, rev: number, seenMs: number, leaseOps: Op[],
  violations: string[]): void {
  for (const [key, versions] of model.versions) {
    const late = versions.find((v) => v.rev > rev && v.kv !== null && v.kv.lease === lease);
    if (late !== undefined) violations.push(`key ${key} was put with lease ${lease} at ${late.rev}, after it ended at ${rev}`);
  }
  const revoked = leaseOps.find((o) => o.kind === 'leaseRevoke' && o.completeMs !== null && o.rev !== undefined);
  const endedMs = Math.min(seenMs, revoked?.completeMs ?? Infinity);
  for (const o of leaseOps) {
    if (o.kind === 'leaseKeepAlive' && o.completeMs !== null && (o.ttl ?? 0) > 0 &&
      o.invokeMs > Math.min(seenMs + REVOKE_IN_FLIGHT_MS, revoked?.completeMs ?? Infinity)) {
      violations.push(`${fmtOp(o)} renewed lease ${lease} after it ended at revision ${rev} (seen at ${endedMs.toFixed(0)} ms)`);
    }
  }
}
