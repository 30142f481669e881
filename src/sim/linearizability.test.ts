import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/random.js';
import { checkOperations, checkPartitioned } from './linearizability.js';
import { registerModel } from './register-model.js';
import type { RegisterInput, RegisterOperation, RegisterOutput } from './register-model.js';

function op(client: number, callTime: number, returnTime: number, input: RegisterInput,
  output: RegisterOutput): RegisterOperation {
  return { client, callTime, returnTime, input, output };
}
const put = (value: string): RegisterInput => ({ kind: 'put', value });
const get: RegisterInput = { kind: 'get' };
const putOk: RegisterOutput = { kind: 'put' };
const got = (value: string | null): RegisterOutput => ({ kind: 'get', value });

test('sequential history is linearizable', () => {
  const ops = [op(1, 0, 1, put('a'), putOk), op(2, 2, 3, get, got('a')), op(1, 4, 5, put('b'), putOk),
    op(2, 6, 7, get, got('b'))];
  assert.equal(checkOperations(registerModel, ops).kind, 'ok');
});

test('stale read after a completed write is not linearizable', () => {
  const ops = [op(1, 0, 1, put('a'), putOk), op(1, 2, 3, put('b'), putOk), op(2, 4, 5, get, got('a'))];
  assert.equal(checkOperations(registerModel, ops).kind, 'illegal');
});

test('concurrent read may see either value', () => {
  const ops = [op(1, 0, 10, put('a'), putOk), op(2, 1, 2, get, got(null)), op(3, 3, 4, get, got('a')),
    op(2, 5, 6, get, got('a'))];
  assert.equal(checkOperations(registerModel, ops).kind, 'ok');
});

test('reads may not go back in time during a concurrent write', () => {
  const ops = [op(1, 0, 10, put('a'), putOk), op(2, 1, 2, get, got('a')), op(3, 3, 4, get, got(null))];
  assert.equal(checkOperations(registerModel, ops).kind, 'illegal');
});

test('touching intervals count as concurrent', () => {
  const ops = [op(1, 0, 5, put('a'), putOk), op(2, 5, 6, get, got(null))];
  assert.equal(checkOperations(registerModel, ops).kind, 'ok');
});

test('unknown write may or may not take effect', () => {
  const lost = [op(1, 0, Infinity, put('a'), undefined), op(2, 5, 6, get, got(null)), op(2, 7, 8, get, got(null))];
  assert.equal(checkOperations(registerModel, lost).kind, 'ok');
  const late = [op(1, 0, Infinity, put('a'), undefined), op(2, 5, 6, get, got(null)), op(2, 7, 8, get, got('a'))];
  assert.equal(checkOperations(registerModel, late).kind, 'ok');
  const flicker = [op(1, 0, Infinity, put('a'), undefined), op(2, 5, 6, get, got('a')), op(2, 7, 8, get, got(null))];
  assert.equal(checkOperations(registerModel, flicker).kind, 'illegal');
});

test('read of a value never written is illegal', () => {
  assert.equal(checkOperations(registerModel, [op(1, 0, 1, get, got('x'))]).kind, 'illegal');
});

test('cas outcomes are checked against the state', () => {
  const cas = (expected: string | null, value: string): RegisterInput => ({ kind: 'cas', expected, value });
  const good = [op(1, 0, 1, put('a'), putOk), op(2, 2, 3, cas('a', 'b'), { kind: 'cas', ok: true }),
    op(3, 4, 5, cas('a', 'c'), { kind: 'cas', ok: false }), op(1, 6, 7, get, got('b'))];
  assert.equal(checkOperations(registerModel, good).kind, 'ok');
  const bad = [op(1, 0, 1, put('a'), putOk), op(2, 2, 3, cas('a', 'b'), { kind: 'cas', ok: true }),
    op(3, 4, 5, cas('a', 'c'), { kind: 'cas', ok: true })];
  assert.equal(checkOperations(registerModel, bad).kind, 'illegal');
  const unknown = [op(1, 0, 1, put('a'), putOk), op(2, 2, Infinity, cas('a', 'b'), undefined),
    op(3, 4, 5, get, got('b'))];
  assert.equal(checkOperations(registerModel, unknown).kind, 'ok');
});

test('partitions are checked independently and failures name the key', () => {
  const partitions = new Map([
    ['k1', [op(1, 0, 1, put('a'), putOk), op(2, 2, 3, get, got('a'))]],
    ['k2', [op(1, 0, 1, put('b'), putOk), op(2, 2, 3, get, got(null))]],
  ]);
  const { result, partition } = checkPartitioned(registerModel, partitions);
  assert.equal(result.kind, 'illegal');
  assert.equal(partition, 'k2');
});

test('step budget yields unknown', () => {
  const ops: RegisterOperation[] = [];
  for (let i = 0; i < 12; i++) ops.push(op(i, 0, 100, put(`v${i}`), putOk));
  ops.push(op(99, 101, 102, get, got('nope')));
  assert.equal(checkOperations(registerModel, ops, 50).kind, 'unknown');
});

/** Randomized: histories generated from a real sequential execution are always linearizable. */
test('random histories produced by a linearizable register pass', () => {
  const seed = Number(process.env.SEED ?? 4242);
  console.log('SEED=' + seed);
  const random = new SeededRandom(seed);
  for (let round = 0; round < 200; round++) {
    let value: string | null = null;
    let clock = 0;
    const ops: RegisterOperation[] = [];
    const count = 2 + random.intBelow(14);
    for (let i = 0; i < count; i++) {
      const callTime = clock + random.intBelow(3);
      const point = callTime + 1 + random.intBelow(3);
      clock = point;
      const returnTime = point + random.intBelow(8);
      if (random.float() < 0.5) {
        ops.push(op(i, callTime, returnTime, get, got(value)));
      } else {
        value = `v${i}`;
        ops.push(op(i, callTime, random.float() < 0.2 ? Infinity : returnTime, put(value), putOk));
      }
    }
    assert.equal(checkOperations(registerModel, ops).kind, 'ok', `round ${round}`);
  }
});
