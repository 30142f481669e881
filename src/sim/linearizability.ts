/**
 * Linearizability checker: a depth-first search over linearization orders (Wing & Gong) with Lowe's
 * memoization of (set of linearized operations, model state), run separately per partition of the history
 * (Horn & Kroening's P-compositionality: a key-value store is checked key by key).
 *
 * Time model: an operation occupies the closed interval [callTime, returnTime]; operations whose outcome
 * is unknown (the client timed out) have returnTime = Infinity and an output the model accepts in any
 * state, so the search may place them anywhere after their call, including after everything (= never).
 */
import { assert } from '../base/assert.js';

/** A sequential specification. `step` returns the next state, or undefined if `output` is impossible. */
export interface Model<S, I, O> {
  init(): S;
  step(state: S, input: I, output: O): S | undefined;
  /** A string that is equal for equal states (memoization key). */
  stateKey(state: S): string;
}

export interface Operation<I, O> {
  client: number;
  input: I;
  output: O;
  callTime: number;
  /** Infinity when the outcome is unknown. */
  returnTime: number;
}

export type CheckResult =
  | { kind: 'ok' }
  | { kind: 'illegal'; linearizedMax: number }
  | { kind: 'unknown'; reason: string };

/** Search steps per partition before giving up with 'unknown'. */
export const SEARCH_STEPS_MAX = 2_000_000;

interface StackFrame<S> {
  entry: number;
  state: S;
  bits: bigint;
}

/** Builds the event list: entry 2i is the call of op i, 2i+1 its return; sorted with calls first on ties. */
function sortedEvents<I, O>(ops: readonly Operation<I, O>[]): number[] {
  const events: number[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    assert(op.callTime <= op.returnTime, `operation ${i} returns before it is called`);
    events.push(2 * i, 2 * i + 1);
  }
  const time = (e: number): number => (e % 2 === 0 ? ops[e >> 1]!.callTime : ops[e >> 1]!.returnTime);
  events.sort((a, b) => {
    const ta = time(a);
    const tb = time(b);
    if (ta !== tb) return ta < tb ? -1 : 1;
    const ka = a % 2;
    const kb = b % 2;
    if (ka !== kb) return ka - kb;
    return a - b;
  });
  return events;
}

/**
 * Checks one partition. Returns 'ok' if some total order consistent with real time and the model
 * explains every output; 'illegal' otherwise; 'unknown' if the step budget ran out.
 */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>, ops: readonly Operation<I, O>[], stepsMax: number = SEARCH_STEPS_MAX,
): CheckResult {
  if (ops.length === 0) return { kind: 'ok' };
  const events = sortedEvents(ops);
  // Doubly linked list over event ids; node `head` is a sentinel, `end` marks the end.
  const count = events.length;
  const head = count;
  const end = -1;
  const next = new Int32Array(count + 1);
  const prev = new Int32Array(count + 1);
  let last = head;
  for (const e of events) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  next[last] = end;
  const unlinkOne = (e: number): void => {
    const p = prev[e]!;
    const n = next[e]!;
    next[p] = n;
    if (n !== end) prev[n] = p;
  };
  const relinkOne = (e: number): void => {
    const p = prev[e]!;
    const n = next[e]!;
    next[p] = e;
    if (n !== end) prev[n] = e;
  };
  const seen = new Set<string>();
  const stack: StackFrame<S>[] = [];
  let state = model.init();
  let bits = 0n;
  let entry = next[head]!;
  let steps = 0;
  let linearizedMax = 0;
  while (next[head] !== end) {
    if (++steps > stepsMax) return { kind: 'unknown', reason: `search exceeded ${stepsMax} steps` };
    assert(entry !== end, 'walked off the end of the event list');
    if (entry % 2 === 0) {
      const opIndex = entry >> 1;
      const op = ops[opIndex]!;
      const after = model.step(state, op.input, op.output);
      if (after !== undefined) {
        const newBits = bits | (1n << BigInt(opIndex));
        const key = `${newBits.toString(36)}|${model.stateKey(after)}`;
        if (!seen.has(key)) {
          seen.add(key);
          stack.push({ entry, state, bits });
          state = after;
          bits = newBits;
          unlinkOne(entry);
          unlinkOne(entry + 1);
          linearizedMax = Math.max(linearizedMax, stack.length);
          entry = next[head]!;
          continue;
        }
      }
      entry = next[entry]!;
    } else {
      const frame = stack.pop();
      if (frame === undefined) return { kind: 'illegal', linearizedMax };
      // Relink in reverse order of unlinking.
      relinkOne(frame.entry + 1);
      relinkOne(frame.entry);
      state = frame.state;
      bits = frame.bits;
      entry = next[frame.entry]!;
    }
  }
  assert(stack.length === ops.length, 'search ended without linearizing every operation');
  return { kind: 'ok' };
}

/** Checks each partition (e.g. each key) separately; the first non-ok result wins. */
export function checkPartitioned<S, I, O>(
  model: Model<S, I, O>, partitions: ReadonlyMap<string, readonly Operation<I, O>[]>, stepsMax?: number,
): { result: CheckResult; partition: string | undefined } {
  for (const [name, ops] of [...partitions.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const result = checkOperations(model, ops, stepsMax);
    if (result.kind !== 'ok') return { result, partition: name };
  }
  return { result: { kind: 'ok' }, partition: undefined };
}
