import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCommand, encodeCommand, KvStateMachine } from './kv.js';

test('put, cas and duplicate suppression', () => {
  const kv = new KvStateMachine();
  assert.deepEqual(kv.execute({ kind: 'put', client: 1, op: 1, key: 'a', value: 'x' }), { duplicate: false, ok: true });
  assert.deepEqual(kv.execute({ kind: 'put', client: 1, op: 1, key: 'a', value: 'x' }), { duplicate: true, ok: false });
  assert.deepEqual(kv.execute({ kind: 'cas', client: 2, op: 1, key: 'a', expected: 'y', value: 'z' }),
    { duplicate: false, ok: false });
  assert.deepEqual(kv.execute({ kind: 'cas', client: 2, op: 2, key: 'a', expected: 'x', value: 'z' }),
    { duplicate: false, ok: true });
  assert.equal(kv.get('a'), 'z');
  assert.equal(kv.get('b'), null);
});

test('images round-trip with the hash chain and sessions', () => {
  const kv = new KvStateMachine();
  const command = { kind: 'put' as const, client: 3, op: 4, key: 'k', value: 'v' };
  const data = encodeCommand(command);
  assert.deepEqual(decodeCommand(data), command);
  kv.advance(1, 1, 0, data);
  kv.execute(command);
  const copy = KvStateMachine.fromImage(kv.toImage(), 1);
  assert.equal(copy.chain, kv.chain);
  assert.equal(copy.get('k'), 'v');
  assert.equal(copy.execute(command).duplicate, true, 'sessions survive a snapshot');
  assert.throws(() => copy.advance(1, 3, 0, data), /apply gap/);
});
