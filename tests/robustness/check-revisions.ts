/**
 * The etcd model with a global revision. The merged watch log is replayed into a multi-version store
 * (checking each event's mod/create revision and version), every write is attributed to the revision it
 * created (acknowledged writes by their response revision, indeterminate ones by their unique value or
 * key), and then:
 *   - every acknowledged write exists in the log with the content it asked for (no lost writes);
 *   - every event has a write that caused it (no phantom writes);
 *   - reads (get, list, failed CAS, no-op deletes) return exactly the store at their header revision
 *     (lists at their requested revision), with correct `more` and `count`;
 *   - real time: if op a completed before op b was invoked, pos(a) <= pos(b), where a write's position is
 *     its revision R and a read's is R + 0.5 (this is linearizability given the revisions);
 *   - per client (on one member) header revisions never go backwards.
 * Returns, per op id, the revision a write took effect at (for the per-key WGL check).
 */
import type { Kv, Op, WatchEvent } from './history.js';
import type { EventLog } from './check-watch.js';

/** Versions of one key: (revision, kv or null when deleted), ascending. */
type Versions = Array<{ rev: number; kv: Kv | null }>;

export interface RevisionModel {
  /** Key → versions. */
  versions: Map<string, Versions>;
  /** Op id → revision of its effect (writes that happened). */
  effectRev: Map<number, number>;
  maxRev: number;
  /**
   * Revisions that only deleted keys attached to one lease and that no acknowledged write explains: the
   * lease expired (or an indeterminate revoke took effect). check-leases.ts checks them.
   */
  leaseEnds: Array<{ lease: string; rev: number }>;
}

/** The kv of `key` at revision `rev` (null if absent). */
export function kvAt(model: RevisionModel, key: string, rev: number): Kv | null {
  const versions = model.versions.get(key);
  if (versions === undefined) return null;
  let found: Kv | null = null;
  for (const v of versions) {
    if (v.rev > rev) break;
    found = v.kv;
  }
  return found;
}

const fmt = (op: Op): string => `op#${op.id}(c${op.client}@${op.member} ${op.kind} ${op.key ?? ''}` +
  `${op.value === undefined ? '' : `=${op.value}`} [${op.invokeMs.toFixed(0)},${op.completeMs?.toFixed(0) ?? '?'}] ` +
  `rev=${op.rev ?? '?'})`;
const sameKv = (a: Kv | null | undefined, b: Kv | null | undefined): boolean =>
  (a ?? null) === null ? (b ?? null) === null : JSON.stringify(a) === JSON.stringify(b);

/** Lease grants and keepalives: their header revision says nothing about the op's place in the history. */
const isLeaseMeta = (op: Op): boolean => op.kind === 'leaseGrant' || op.kind === 'leaseKeepAlive';

/** Replays the log; checks event metadata. */
function replay(log: EventLog, violations: string[]): RevisionModel {
  const versions = new Map<string, Versions>();
  const revs = [...log.byRev.keys()].sort((a, b) => a - b);
  for (const rev of revs) {
    for (const e of log.byRev.get(rev)!) {
      const list = versions.get(e.kv.key) ?? [];
      const prev = list.at(-1)?.kv ?? null;
      if (e.type === 'put') {
        const create = prev === null ? rev : prev.create;
        const ver = prev === null ? 1 : prev.ver + 1;
        if (e.kv.mod !== rev || e.kv.create !== create || e.kv.ver !== ver) {
          violations.push(`event at ${rev} on ${e.kv.key}: mod/create/version ${e.kv.mod}/${e.kv.create}/${e.kv.ver}, ` +
            `model says ${rev}/${create}/${ver}`);
        }
        list.push({ rev, kv: e.kv });
      } else {
        if (prev === null) violations.push(`delete event at ${rev} on absent key ${e.kv.key}`);
        list.push({ rev, kv: null });
      }
      versions.set(e.kv.key, list);
    }
  }
  return { versions, effectRev: new Map(), maxRev: revs.at(-1) ?? 1, leaseEnds: [] };
}

/** The lease whose end explains `events` at `rev` (all deletes of keys attached to it), if any. */
function leaseEndOf(events: WatchEvent[], model: RevisionModel, rev: number): string | undefined {
  const lease = kvAt(model, events[0]!.kv.key, rev - 1)?.lease;
  if (lease === undefined || lease === '0') return undefined;
  const all = events.every((e) => e.type === 'delete' && kvAt(model, e.kv.key, rev - 1)?.lease === lease);
  return all ? lease : undefined;
}

/** Does `op` (a write) explain event `e` at `rev`? */
function explains(op: Op, e: WatchEvent, model: RevisionModel, rev: number): boolean {
  // An acknowledged no-op (delete of nothing, failed CAS) shares the revision but caused no event.
  if (op.completeMs !== null && op.kind === 'delete' && !(op.deleted! > 0)) return false;
  if (op.completeMs !== null && op.kind === 'cas' && op.succeeded !== true) return false;
  // A CAS-delete whose compare was "absent" (mod_revision 0) deletes nothing: the revision stays (as in etcd,
  // a txn that changes nothing writes no revision), so it explains no delete event even when acknowledged.
  if (op.kind === 'cas' && op.thenDelete === true && op.expectMod === 0) return false;
  if (op.key !== undefined && op.kind !== 'leaseRevoke' && op.key !== e.kv.key) return false;
  // An indeterminate CAS can only have taken effect where its compare held (acknowledged ones: checkRead).
  if (op.completeMs === null && op.kind === 'cas' && (kvAt(model, e.kv.key, rev - 1)?.mod ?? 0) !== op.expectMod) {
    return false;
  }
  if (e.type === 'put') return (op.kind === 'put' || (op.kind === 'cas' && op.thenDelete !== true)) && op.value === e.kv.value;
  if (op.kind === 'delete' || (op.kind === 'cas' && op.thenDelete === true)) return true;
  return op.kind === 'leaseRevoke' && kvAt(model, e.kv.key, rev - 1)?.lease === op.lease;
}

/** A failed call gRPC never put on a connection (the member was down): it cannot have taken effect. */
const neverSent = (op: Op): boolean => op.error?.startsWith('No connection established') === true;

/** Attributes each log revision to one write. */
function attribute(ops: Op[], log: EventLog, model: RevisionModel, violations: string[]): void {
  const writes = ops.filter((o) => o.kind === 'put' || o.kind === 'delete' || o.kind === 'cas' || o.kind === 'leaseRevoke');
  const byRev = new Map<number, Op[]>();
  for (const op of writes) {
    if (op.completeMs !== null && op.rev !== undefined) byRev.set(op.rev, [...byRev.get(op.rev) ?? [], op]);
  }
  const byValue = new Map<string, Op>();
  for (const op of writes) if (op.value !== undefined) byValue.set(op.value, op);
  const used = new Set<number>();
  // An indeterminate write explains a revision only if it was invoked before any watcher saw the revision
  // (or a later one): deletes carry no unique value, so without this an old failed delete of the key could
  // be credited with a much later delete and the op that really caused it be taken as "did not happen".
  const sorted = [...log.byRev].sort((a, b) => a[0] - b[0]);
  const seenBy = new Map<number, number>();
  let seen = Infinity;
  for (let i = sorted.length - 1; i >= 0; i--) {
    const rev = sorted[i]![0];
    seen = Math.min(seen, log.seenMs.get(rev) ?? Infinity);
    seenBy.set(rev, seen);
  }
  for (const [rev, events] of sorted) {
    const first = events[0]!;
    let op: Op | undefined;
    if (first.type === 'put') op = byValue.get(first.kv.value);
    else {
      op = (byRev.get(rev) ?? []).find((o) => explains(o, first, model, rev));
      const lease = op === undefined ? leaseEndOf(events, model, rev) : undefined;
      if (lease !== undefined) {
        model.leaseEnds.push({ lease, rev });
        continue;
      }
      const candidate = (o: Op): boolean => o.completeMs === null && !used.has(o.id) &&
        o.invokeMs <= seenBy.get(rev)! && explains(o, first, model, rev);
      op ??= writes.find((o) => candidate(o) && !neverSent(o)) ?? writes.find(candidate);
    }
    if (op === undefined || !explains(op, first, model, rev)) {
      violations.push(`event(s) at revision ${rev} ${JSON.stringify(events)} have no matching write (phantom)`);
      continue;
    }
    if (used.has(op.id)) violations.push(`${fmt(op)} took effect twice (again at ${rev})`);
    if (op.completeMs !== null && op.rev !== rev) violations.push(`${fmt(op)} responded revision ${op.rev} but took effect at ${rev}`);
    if (events.length > 1 && op.kind !== 'leaseRevoke') violations.push(`revision ${rev} has ${events.length} events for one ${op.kind}`);
    used.add(op.id);
    model.effectRev.set(op.id, rev);
  }
  for (const op of writes) {
    if (op.completeMs === null || used.has(op.id) || op.rev === undefined) continue;
    const changed = op.kind === 'put' || (op.kind === 'delete' && op.deleted! > 0) ||
      (op.kind === 'cas' && op.succeeded === true && !(op.thenDelete === true && op.expectMod === 0));
    if (!changed) continue;
    if (op.rev > log.coveredTo || log.uncovered.some(([a, b]) => op.rev! >= a && op.rev! <= b)) continue;
    violations.push(`${fmt(op)} was acknowledged but is not in the event log (lost write)`);
  }
}

/** Checks what one read-like op returned against the model. */
function checkRead(op: Op, model: RevisionModel, violations: string[]): void {
  const rev = op.rev!;
  if (rev > model.maxRev && op.kind !== 'leaseRevoke') {
    violations.push(`${fmt(op)} read at revision ${rev} beyond the last written revision ${model.maxRev}`);
    return;
  }
  if (op.kind === 'get' || (op.kind === 'cas' && op.succeeded === false)) {
    const want = kvAt(model, op.key!, rev);
    if (!sameKv(op.kvs?.[0], want)) {
      violations.push(`${fmt(op)} returned ${JSON.stringify(op.kvs?.[0] ?? null)}, the store at ${rev} has ` +
        JSON.stringify(want));
    }
    if (op.kind === 'cas' && (want?.mod ?? 0) === op.expectMod) violations.push(`${fmt(op)} failed but mod_revision matched`);
  } else if (op.kind === 'cas' && op.succeeded === true && op.thenDelete === true && op.expectMod === 0) {
    if (kvAt(model, op.key!, rev) !== null) violations.push(`${fmt(op)} deleted an absent key but it existed at ${rev}`);
  } else if (op.kind === 'cas' && op.succeeded === true) {
    const before = kvAt(model, op.key!, rev - 1);
    if ((before?.mod ?? 0) !== op.expectMod) violations.push(`${fmt(op)} succeeded but mod_revision was ${before?.mod ?? 0}`);
  } else if (op.kind === 'delete' && op.deleted === 0 && kvAt(model, op.key!, rev) !== null) {
    violations.push(`${fmt(op)} deleted nothing but the key existed at ${rev}`);
  } else if (op.kind === 'list') {
    const at = op.atRevision !== undefined && op.atRevision > 0 ? op.atRevision : rev;
    const live = [...model.versions.keys()].filter((k) => k >= op.key! && k < op.rangeEnd!).sort()
      .map((k) => kvAt(model, k, at)).filter((kv): kv is Kv => kv !== null);
    const want = op.limit !== undefined && op.limit > 0 ? live.slice(0, op.limit) : live;
    if (JSON.stringify(want) !== JSON.stringify(op.kvs) || op.count !== live.length ||
      op.more !== (want.length < live.length)) {
      violations.push(`${fmt(op)} list at ${at} returned ${JSON.stringify(op.kvs)} count=${op.count} more=${op.more}; ` +
        `the store has ${JSON.stringify(want)} count=${live.length}`);
    }
  }
}

/** Position of a completed or attributed op in the revision order, or undefined if unconstrained. */
function position(op: Op, model: RevisionModel): number | undefined {
  const effect = model.effectRev.get(op.id);
  if (effect !== undefined) return effect;
  if (op.completeMs === null || op.rev === undefined || isLeaseMeta(op)) return undefined;
  if (op.serializable === true || (op.kind === 'list' && (op.atRevision ?? 0) > 0)) return undefined;
  return op.rev + 0.5;
}

/** Real-time order vs revision order. */
function checkRealTime(ops: Op[], model: RevisionModel, violations: string[]): void {
  const placed = ops.flatMap((op) => {
    const pos = position(op, model);
    return pos === undefined ? [] : [{ op, pos }];
  });
  const byInvoke = [...placed].sort((a, b) => a.op.invokeMs - b.op.invokeMs);
  const byComplete = placed.filter((p) => p.op.completeMs !== null).sort((a, b) => a.op.completeMs! - b.op.completeMs!);
  let i = 0;
  let max: { op: Op; pos: number } | undefined;
  let reported = 0;
  for (const b of byInvoke) {
    while (i < byComplete.length && byComplete[i]!.op.completeMs! < b.op.invokeMs) {
      if (max === undefined || byComplete[i]!.pos > max.pos) max = byComplete[i]!;
      i++;
    }
    if (max !== undefined && max.pos > b.pos && reported++ < 10) {
      violations.push(`not linearizable: ${fmt(max.op)} at position ${max.pos} completed before ${fmt(b.op)} ` +
        `at position ${b.pos} was invoked (stale read or reordered write)`);
    }
  }
}

/** Per client and member, header revisions never decrease. */
function checkMonotonic(ops: Op[], violations: string[]): void {
  const last = new Map<string, Op>();
  for (const op of [...ops].sort((a, b) => a.invokeMs - b.invokeMs)) {
    if (op.completeMs === null || op.rev === undefined || isLeaseMeta(op)) continue;
    const id = `${op.client}@${op.member}`;
    const prev = last.get(id);
    if (prev !== undefined && op.rev < prev.rev!) violations.push(`client revision went backwards: ${fmt(prev)} then ${fmt(op)}`);
    last.set(id, op);
  }
}

/** Runs the model checks; returns the model (for WGL). */
export function checkRevisions(ops: Op[], log: EventLog, violations: string[]): RevisionModel {
  const model = replay(log, violations);
  attribute(ops, log, model, violations);
  for (const op of ops) {
    if (op.completeMs === null || op.rev === undefined || isLeaseMeta(op) || op.kind === 'put') continue;
    if (op.kind === 'leaseRevoke' || (op.kind === 'delete' && op.deleted! > 0)) continue;
    checkRead(op, model, violations);
  }
  checkRealTime(ops, model, violations);
  checkMonotonic(ops, violations);
  return model;
}
