/**
 * The lease checks on hand-made histories: a lease granted with TTL 2 s, a key put with it, and its
 * expiry (a DELETE event no client caused). Expiry after the TTL passes (also through WGL); expiry before
 * it, a key left behind, a put or a keepalive after the end are reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { History, Kv, Op, WatchSegment } from './history.js';
import { checkHistory } from './run.js';

const LEASE = '77';
let nextId = 1;
const kv = (key: string, value: string, mod: number, lease = LEASE): Kv =>
  ({ key, value, mod, create: mod, ver: 1, lease });
function op(fields: Partial<Op> & Pick<Op, 'kind' | 'invokeMs'>): Op {
  return { id: nextId++, client: 0, member: 'm1', completeMs: fields.invokeMs + 1, ...fields };
}

/**
 * Grant at 0 ms (TTL 2 s), put lk0 (rev 2) and lk1 (rev 3) with the lease, a read of lk0, then the
 * expiry deletes both at revision 4, first seen by the watcher at `expiredAtMs`.
 */
function leaseHistory(expiredAtMs: number): { ops: Op[]; watch: WatchSegment } {
  const ops = [
    op({ kind: 'leaseGrant', invokeMs: 0, rev: 1, lease: LEASE, ttl: 2 }),
    op({ kind: 'put', key: 'lk0', value: 'a', lease: LEASE, invokeMs: 10, rev: 2 }),
    op({ kind: 'put', key: 'lk1', value: 'b', lease: LEASE, invokeMs: 20, rev: 3 }),
    op({ kind: 'get', key: 'lk0', invokeMs: 30, rev: 3, kvs: [kv('lk0', 'a', 2)] }),
    op({ kind: 'get', key: 'lk0', invokeMs: expiredAtMs + 10, rev: 4, kvs: [] }),
  ];
  const watch: WatchSegment = { watcher: 0, member: 'm1', startRev: 1, responses: [
    { atMs: 11, rev: 2, events: [{ type: 'put', kv: kv('lk0', 'a', 2) }] },
    { atMs: 21, rev: 3, events: [{ type: 'put', kv: kv('lk1', 'b', 3) }] },
    { atMs: expiredAtMs, rev: 4, events: [{ type: 'delete', kv: kv('lk0', '', 4, '0') },
      { type: 'delete', kv: kv('lk1', '', 4, '0') }] },
  ] };
  return { ops, watch };
}

const history = (ops: Op[], watches: WatchSegment[]): History =>
  ({ seed: 1, profile: 'lease', members: 3, ops, watches, faults: [] });
const violations = (h: History): string[] => checkHistory(h, 'lease').violations;

test('a lease expiring after its TTL passes every checker (WGL included)', () => {
  const { ops, watch } = leaseHistory(2_500);
  assert.deepEqual(violations(history(ops, [watch])), []);
  const result = checkHistory(history(ops, [watch]), 'lease');
  assert.equal(result.leaseExpiries, 1);
});

test('a lease expiring before its TTL is reported', () => {
  const { ops, watch } = leaseHistory(1_200);
  const found = violations(history(ops, [watch]));
  assert.ok(found.some((v) => v.includes('expired early')), found.join('\n'));
});

test('a keepalive moves the earliest allowed expiry', () => {
  const { ops, watch } = leaseHistory(2_500);
  ops.push(op({ kind: 'leaseKeepAlive', invokeMs: 1_000, lease: LEASE, ttl: 2 }));
  const found = violations(history(ops, [watch]));
  assert.ok(found.some((v) => v.includes('expired early') && v.includes('leaseKeepAlive')), found.join('\n'));
});

test('an indeterminate revoke lifts the timing bound', () => {
  const { ops, watch } = leaseHistory(1_200);
  ops.push({ ...op({ kind: 'leaseRevoke', invokeMs: 1_000, lease: LEASE }), completeMs: null, error: 'timeout' });
  assert.deepEqual(violations(history(ops, [watch])), []);
});

test('a lease end that leaves an attached key behind is reported', () => {
  const { ops, watch } = leaseHistory(2_500);
  watch.responses[2]!.events.pop();
  const found = violations(history(ops, [watch]));
  assert.ok(found.some((v) => v.includes('was not deleted')), found.join('\n'));
});

test('a put with the lease or a successful keepalive after its end is reported', () => {
  const { ops, watch } = leaseHistory(2_500);
  ops.push(op({ kind: 'put', key: 'lk2', value: 'c', lease: LEASE, invokeMs: 2_600, rev: 5 }));
  ops.push(op({ kind: 'leaseKeepAlive', invokeMs: 3_600, lease: LEASE, ttl: 2 })); // > end seen + REVOKE_IN_FLIGHT_MS
  watch.responses.push({ atMs: 2_601, rev: 5, events: [{ type: 'put', kv: kv('lk2', 'c', 5) }] });
  const found = violations(history(ops, [watch]));
  assert.ok(found.some((v) => v.includes('after it ended')), found.join('\n'));
  assert.ok(found.some((v) => v.includes('renewed lease')), found.join('\n'));
});

test('a read that still sees a key after its lease expired is not linearizable', () => {
  const { ops, watch } = leaseHistory(2_500);
  ops.push(op({ kind: 'get', key: 'lk0', invokeMs: 2_600, rev: 3, kvs: [kv('lk0', 'a', 2)], client: 3 }));
  const found = violations(history(ops, [watch]));
  assert.ok(found.some((v) => v.startsWith('WGL') || v.includes('not linearizable')), found.join('\n'));
});
