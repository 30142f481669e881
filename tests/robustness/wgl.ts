/**
 * Wing-Gong-Lowe linearizability search (with Lowe's memoization of (linearized set, state)), applied per
 * key (P-compositionality: a history is linearizable iff each key's sub-history is). The per-key model
 * is a register {value, mod_revision, lease} | absent; writes carry the revision they took effect at (from
 * the revision model), so reads must return the exact value and mod_revision. Indeterminate writes the
 * event log shows happened must be linearized (return time +infinity); those it shows did not happen
 * are left out. Linearizable reads only (serializable reads need not be linearizable).
 */
import type { Op } from './history.js';
import type { RevisionModel } from './check-revisions.js';

interface State { value: string; mod: number; lease: string }
type Reg = State | null;

/** One per-key operation: `step` returns the next state or undefined if it cannot happen in `s`. */
interface KeyOp { op: Op; call: number; ret: number; step: (s: Reg) => Reg | undefined }

/** Search budget per key; beyond it the key is reported as not checked. */
const STEPS_MAX = 3_000_000;

const eqRead = (s: Reg, kv: Op['kvs']): boolean => {
  const got = kv?.[0];
  if (s === null || got === undefined) return s === null && got === undefined;
  return got.value === s.value && got.mod === s.mod && got.lease === s.lease;
};

/** Builds the per-key operations for `key`. */
function keyOps(ops: Op[], key: string, model: RevisionModel, leaseKey: boolean): KeyOp[] {
  const out: KeyOp[] = [];
  for (const op of ops) {
    const effect = model.effectRev.get(op.id);
    const ret = op.completeMs ?? Infinity;
    if (op.completeMs === null && effect === undefined) continue; // did not happen (or a failed read)
    let step: KeyOp['step'] | undefined;
    if (op.kind === 'leaseRevoke' && leaseKey) {
      const touched = effect !== undefined && kvAtRevIsDelete(model, key, effect);
      step = touched ? (s) => (s !== null && s.lease === op.lease ? null : undefined)
        : (s) => (s === null || s.lease !== op.lease ? s : undefined);
    } else if (op.key !== key) {
      continue;
    } else if (op.kind === 'leaseExpire') {
      step = (s) => (s !== null && s.lease === op.lease ? null : undefined);
    } else if (op.kind === 'put') {
      step = () => ({ value: op.value!, mod: effect!, lease: op.lease ?? '0' });
    } else if (op.kind === 'get' && op.serializable !== true) {
      step = (s) => (eqRead(s, op.kvs) ? s : undefined);
    } else if (op.kind === 'delete') {
      step = effect !== undefined ? (s) => (s !== null ? null : undefined) : (s) => (s === null ? s : undefined);
    } else if (op.kind === 'cas') {
      const mod = (s: Reg): number => s?.mod ?? 0;
      if (effect !== undefined) {
        step = (s) => (mod(s) !== op.expectMod ? undefined
          : op.thenDelete === true ? (s === null ? undefined : null) : { value: op.value!, mod: effect, lease: '0' });
      } else if (op.succeeded === true) {
        step = (s) => (s === null && op.thenDelete === true && op.expectMod === 0 ? s : undefined);
      } else {
        step = (s) => (mod(s) !== op.expectMod && eqRead(s, op.kvs) ? s : undefined);
      }
    }
    if (step === undefined) continue;
    if (op.kind === 'put' && effect === undefined) continue;
    out.push({ op, call: op.invokeMs, ret, step });
  }
  return out;
}

function kvAtRevIsDelete(model: RevisionModel, key: string, rev: number): boolean {
  return (model.versions.get(key) ?? []).some((v) => v.rev === rev && v.kv === null);
}

interface Entry { kind: 'call' | 'ret'; index: number; time: number; prev: Entry | undefined; next: Entry | undefined;
  match: Entry | undefined }

/** Result of one key's search. */
export type WglResult = { ok: true } | { ok: false; reason: string } | { ok: 'unknown'; reason: string };

/** WGL search over `items` from the absent register. */
export function wglSearch(items: KeyOp[]): WglResult {
  const events: Array<{ kind: 'call' | 'ret'; index: number; time: number }> = [];
  items.forEach((it, index) => {
    events.push({ kind: 'call', index, time: it.call });
    events.push({ kind: 'ret', index, time: it.ret });
  });
  // Calls before returns at equal times (touching intervals overlap).
  events.sort((a, b) => a.time - b.time || (a.kind === b.kind ? 0 : a.kind === 'call' ? -1 : 1));
  const head: Entry = { kind: 'call', index: -1, time: -Infinity, prev: undefined, next: undefined, match: undefined };
  let tail = head;
  const calls = new Map<number, Entry>();
  for (const e of events) {
    const entry: Entry = { ...e, prev: tail, next: undefined, match: undefined };
    tail.next = entry;
    tail = entry;
    if (e.kind === 'call') calls.set(e.index, entry);
    else calls.get(e.index)!.match = entry;
  }
  const lift = (c: Entry): void => {
    c.prev!.next = c.next;
    if (c.next !== undefined) c.next.prev = c.prev;
    const r = c.match!;
    r.prev!.next = r.next;
    if (r.next !== undefined) r.next.prev = r.prev;
  };
  const unlift = (c: Entry): void => {
    const r = c.match!;
    r.prev!.next = r;
    if (r.next !== undefined) r.next.prev = r;
    c.prev!.next = c;
    if (c.next !== undefined) c.next.prev = c;
  };
  const linearized = new Uint8Array(Math.ceil(items.length / 8)); // a bitset: the memo keys stay small
  const setBit = (i: number, on: boolean): void => {
    if (on) linearized[i >> 3]! |= 1 << (i & 7);
    else linearized[i >> 3]! &= ~(1 << (i & 7));
  };
  const cache = new Set<string>();
  const stack: Array<{ entry: Entry; state: Reg }> = [];
  let state: Reg = null;
  let entry = head.next;
  let steps = 0;
  let deepest = 0;
  while (head.next !== undefined) {
    if (++steps > STEPS_MAX) return { ok: 'unknown', reason: `search budget of ${STEPS_MAX} steps exhausted` };
    if (entry === undefined) return { ok: false, reason: 'no candidate' };
    if (entry.kind === 'call') {
      const next = items[entry.index]!.step(state);
      let advanced = false;
      if (next !== undefined) {
        setBit(entry.index, true);
        const key = `${Buffer.from(linearized).toString('base64')}|${JSON.stringify(next)}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          advanced = true;
          deepest = Math.max(deepest, stack.length);
        } else {
          setBit(entry.index, false);
        }
      }
      if (!advanced) entry = entry.next;
    } else {
      const top = stack.pop();
      if (top === undefined) {
        const op = items[entry.index]!.op;
        return { ok: false, reason: `op#${op.id} (${op.kind} ${op.key ?? ''} rev=${op.rev ?? '?'}) cannot be ` +
          `linearized; deepest prefix ${deepest} of ${items.length}` };
      }
      state = top.state;
      setBit(top.entry.index, false);
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return { ok: true };
}

/** Checks every key; appends violations; returns per-key results. */
export function checkWgl(ops: Op[], model: RevisionModel, leaseKeys: readonly string[],
  violations: string[]): Map<string, WglResult> {
  const results = new Map<string, WglResult>();
  const keys = new Set<string>();
  for (const op of ops) if (op.key !== undefined && op.kind !== 'list') keys.add(op.key);
  for (const key of [...keys].sort()) {
    const result = wglSearch(keyOps(ops, key, model, leaseKeys.includes(key)));
    results.set(key, result);
    if (result.ok === false) violations.push(`WGL: key ${key} is not linearizable: ${result.reason}`);
  }
  return results;
}
