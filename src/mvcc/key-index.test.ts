import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KeyIndex, KeyIndexBuilder } from './key-index.js';
import { revisionKeyString } from './revision.js';

const SEED = Number(process.env.SEED ?? Date.now() % 2 ** 31);
console.log('SEED=' + SEED);

type Command = { kind: 'put' | 'delete'; key: number } | { kind: 'compact'; back: number } | { kind: 'txn'; keys: number[] };

/** The dumb model: every change ever made, per key, oldest first. */
interface Change { main: number; sub: number; tombstone: boolean }

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f'];

function modelGet(history: Change[] | undefined, atRev: number): Change | undefined {
  let newest: Change | undefined = undefined;
  for (const change of history ?? []) if (change.main <= atRev) newest = change;
  return newest === undefined || newest.tombstone ? undefined : newest;
}

/** Revisions <= atRev that must survive compaction at atRev: each key's newest one if it is a put. */
function modelKeep(model: Map<string, Change[]>, atRev: number): Set<string> {
  const keep = new Set<string>();
  for (const history of model.values()) {
    const kept = modelGet(history, atRev);
    if (kept !== undefined) keep.add(revisionKeyString(kept.main, kept.sub));
  }
  return keep;
}

type State = { rev: number; compacted: number };

function apply(index: KeyIndex, model: Map<string, Change[]>, state: State, command: Command): void {
  const isLive = (key: string): boolean => modelGet(model.get(key), state.rev) !== undefined;
  const change = (key: string, sub: number, tombstone: boolean): void => {
    const main = state.rev + 1;
    if (tombstone) index.tombstone(key, main, sub);
    else index.put(key, main, sub);
    model.set(key, [...(model.get(key) ?? []), { main, sub, tombstone }]);
  };
  if (command.kind === 'compact') {
    const atRev = Math.max(state.compacted + 1, state.rev - command.back);
    if (atRev > state.rev) return;
    const expected = modelKeep(model, atRev);
    assert.deepEqual([...index.keep(atRev)].sort(), [...expected].sort(), 'keep() equals the model');
    assert.deepEqual([...index.compact(atRev)].sort(), [...expected].sort(), 'compact() equals the model');
    state.compacted = atRev;
    return;
  }
  const keys = command.kind === 'txn' ? command.keys : [command.key];
  const touched = new Set<string>();
  let sub = 0;
  for (const k of keys) {
    const key = KEYS[k % KEYS.length]!;
    if (touched.has(key)) continue;
    touched.add(key);
    const tombstone = command.kind === 'delete' && isLive(key);
    if (command.kind === 'delete' && !tombstone) continue;
    change(key, sub++, tombstone);
  }
  if (sub > 0) state.rev++;
}

function check(index: KeyIndex, model: Map<string, Change[]>, state: { rev: number; compacted: number }): void {
  for (let atRev = Math.max(1, state.compacted); atRev <= state.rev; atRev++) {
    for (const key of KEYS) {
      const expected = modelGet(model.get(key), atRev);
      const actual = index.get(key, atRev);
      assert.deepEqual(actual, expected === undefined ? undefined : { main: expected.main, sub: expected.sub },
        `get(${key}, ${atRev})`);
    }
    const range = index.range({ start: 'b', end: 'e', single: false }, atRev, 2);
    const liveInRange = ['b', 'c', 'd'].filter((key) => modelGet(model.get(key), atRev) !== undefined);
    assert.equal(range.count, liveInRange.length);
    assert.deepEqual(range.keys, liveInRange.slice(0, 2));
  }
}

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: fc.nat(10) }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.nat(10) }),
  fc.record({ kind: fc.constant('compact' as const), back: fc.nat(6) }),
  fc.record({ kind: fc.constant('txn' as const), keys: fc.array(fc.nat(10), { maxLength: 4 }) }),
);

test('key index matches a dumb full-history model (get, range, keep, compact)', () => {
  fc.assert(fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
    const index = new KeyIndex();
    const model = new Map<string, Change[]>();
    const state = { rev: 1, compacted: 0 };
    for (const c of commands) {
      apply(index, model, state, c);
      check(index, model, state);
    }
  }), { seed: SEED, numRuns: 300 });
});

test('restorePut rebuilds generations with the stored version and create revision', () => {
  const index = new KeyIndex();
  index.restorePut('k', 7, 0, 3, 4);
  assert.deepEqual(index.live('k'), { createdMain: 3, version: 4 });
  index.restoreTombstone('k', 8, 0);
  assert.equal(index.live('k'), undefined);
  index.restorePut('k', 9, 1, 9, 1);
  assert.deepEqual(index.live('k'), { createdMain: 9, version: 1 });
  assert.deepEqual(index.get('k', 7), { main: 7, sub: 0 });
  assert.equal(index.get('k', 8), undefined);
  index.restoreTombstone('unknown', 10, 0);
  assert.equal(index.size, 1);
});

test('KeyIndexBuilder builds the same index as incremental restore', () => {
  const builder = new KeyIndexBuilder();
  const incremental = new KeyIndex();
  for (let main = 2; main < 3000; main++) {
    const key = `k${(main * 7919) % 1000}`;
    if (main % 5 === 0 && incremental.live(key) !== undefined) {
      builder.tombstone(key, main, 0);
      incremental.restoreTombstone(key, main, 0);
    } else {
      const live = incremental.live(key);
      const createdMain = live?.createdMain ?? main;
      const version = (live?.version ?? 0) + 1;
      builder.put(key, main, 0, createdMain, version);
      incremental.restorePut(key, main, 0, createdMain, version);
    }
  }
  const built = builder.build();
  assert.equal(built.size, incremental.size);
  const all = { start: '', end: undefined, single: false };
  for (const atRev of [1, 500, 1777, 2999]) {
    assert.deepEqual(built.range(all, atRev, 0), incremental.range(all, atRev, 0));
  }
  built.put('k1', 5000, 0);
  assert.deepEqual(built.get('k1', 5000), { main: 5000, sub: 0 });
});
