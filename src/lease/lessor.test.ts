import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEtcdError } from '../base/errors.js';
import { Limits } from '../base/limits.js';
import { InternalRaftRequest, LeaseGrantRequest, LeaseRevokeRequest } from '../proto/gen/etcdserverpb.js';
import type { LeaseGrantResponse } from '../proto/gen/etcdserverpb.js';
import { closeStore, dec, enc, openStore, put, show, tempDbPath } from '../mvcc/test-util.js';
import { LeaseApplier } from './lease-applier.js';
import { decodeLeaseRecord, encodeLeaseRecord } from './lease-codec.js';
import { Lessor } from './lessor.js';
import { LeaseExpiry, REVOKE_RETRY_MS } from './expiry.js';
import { minLeaseTtlSeconds, remainingTtlSeconds } from './ttl.js';

class FakeClock {
  ms = 1_000;
  nowMs(): number { return this.ms; }
  wallMs(): number { return 1_700_000_000_000 + this.ms; }
}

const grantRequest = (ID: bigint, TTL: number): InternalRaftRequest =>
  InternalRaftRequest.create({ leaseGrant: LeaseGrantRequest.create({ ID, TTL }) });
const revokeRequest = (ID: bigint): InternalRaftRequest =>
  InternalRaftRequest.create({ leaseRevoke: LeaseRevokeRequest.create({ ID }) });

test('minimum TTL and remaining-TTL rounding follow etcd', () => {
  assert.equal(minLeaseTtlSeconds(1000), 2);
  assert.equal(minLeaseTtlSeconds(100), 1);
  assert.equal(minLeaseTtlSeconds(5000), 8);
  assert.equal(remainingTtlSeconds(9_700), 9);
  assert.equal(remainingTtlSeconds(-5), 0);
});

test('lease record codec round-trips, including negative and 64-bit ids', () => {
  for (const id of [1n, 0x7fff_ffff_ffff_ffffn, -5n]) {
    const record = { id, ttlSeconds: 9_000_000_000, remainingTtlSeconds: 17 };
    assert.deepEqual(decodeLeaseRecord(encodeLeaseRecord(record)), record);
  }
  assert.throws(() => decodeLeaseRecord(new Uint8Array([0xff])), /corruption/);
});

test('grant raises the TTL to the minimum and refuses duplicates, id 0 and huge TTLs', async () => {
  const opened = await openStore(tempDbPath());
  const lessor = new Lessor(opened.backend, 2);
  assert.equal(lessor.grant(7n, 1).ttlSeconds, 2);
  assert.equal(lessor.grant(8n, 60).ttlSeconds, 60);
  assert.ok(isEtcdError(catchError(() => lessor.grant(7n, 10)), 'ERR_LEASE_EXIST'));
  assert.ok(isEtcdError(catchError(() => lessor.grant(0n, 10)), 'ERR_LEASE_NOT_FOUND'));
  assert.ok(isEtcdError(catchError(() => lessor.grant(9n, Limits.leaseTtlSecondsMax + 1)), 'ERR_LEASE_TTL_TOO_LARGE'));
  assert.deepEqual(lessor.ids(), [7n, 8n]);
  assert.ok(isEtcdError(catchError(() => lessor.revoke(99n)), 'ERR_LEASE_NOT_FOUND'));
  await closeStore(opened);
});

test('revoke deletes every attached key in one revision and persists nothing of the lease', async () => {
  const opened = await openStore(tempDbPath());
  const lessor = new Lessor(opened.backend, 2);
  const applier = new LeaseApplier(lessor, opened.store);
  const granted = applier.apply(grantRequest(5n, 30))!;
  assert.equal((granted.response as LeaseGrantResponse).TTL, 30);
  for (const key of ['b', 'a', 'c']) {
    put(opened.store, key, 'v', 5n);
    lessor.attach(5n, enc(key));
  }
  put(opened.store, 'other', 'v');
  const before = opened.store.currentRevision();
  const outcome = applier.apply(revokeRequest(5n))!;
  assert.equal(outcome.revision, before + 1);
  assert.deepEqual(outcome.events.map((e) => [dec(e.kv!.key), e.kv!.modRevision]), [['a', before + 1], ['b', before + 1], ['c', before + 1]]);
  assert.deepEqual(show(opened.store, '\0', '\0').map((s) => s.split('=')[0]), ['other']);
  assert.equal(lessor.exists(5n), false);
  assert.equal([...opened.backend.range('lease', new Uint8Array(0))].length, 0);
  // A lease without keys revokes without a new revision.
  applier.apply(grantRequest(6n, 30));
  assert.equal(applier.apply(revokeRequest(6n))!.revision, before + 1);
  assert.equal(applier.apply(InternalRaftRequest.create({ put: undefined })), undefined);
  await closeStore(opened);
});

test('restore from the backend rebuilds leases and their attached keys', async () => {
  const path = tempDbPath();
  const first = await openStore(path);
  const lessor = new Lessor(first.backend, 2);
  lessor.grant(1n, 10);
  lessor.grant(2n, 20);
  lessor.checkpoint(2n, 15);
  put(first.store, 'k1', 'v', 1n);
  put(first.store, 'k2', 'v', 2n);
  put(first.store, 'k2', 'v', 1n); // moved to lease 1
  put(first.store, 'k3', 'v', 99n); // unknown lease: ignored on restore
  await closeStore(first);
  const second = await openStore(path);
  const restored = new Lessor(second.backend, 2);
  restored.restore(second.backend, second.store.takeRestoredLeases());
  assert.deepEqual(restored.ids(), [1n, 2n]);
  assert.deepEqual(restored.keysOf(1n).map(dec), ['k1', 'k2']);
  assert.deepEqual(restored.keysOf(2n), []);
  assert.equal(restored.get(2n)?.ttlSeconds, 20);
  assert.equal(restored.get(2n)?.remainingTtlSeconds, 15);
  await closeStore(second);
});

test('expiry: only the primary tracks deadlines; renew, promote and retry with a fake clock', async () => {
  const opened = await openStore(tempDbPath());
  const clock = new FakeClock();
  const lessor = new Lessor(opened.backend, 2);
  const expiry = new LeaseExpiry(clock);
  lessor.observer = expiry;
  lessor.grant(1n, 10);
  assert.equal(expiry.remainingMs(1n), undefined, 'a follower keeps no deadlines');
  clock.ms += 60_000;
  expiry.promote(lessor.all(), 1000);
  assert.equal(expiry.remainingMs(1n), 11_000, 'promotion refreshes to a full TTL plus the extension');
  lessor.grant(2n, 5);
  assert.equal(expiry.remainingMs(2n), 5000);
  clock.ms += 5000;
  assert.deepEqual(expiry.takeExpired(10), [2n]);
  assert.deepEqual(expiry.takeExpired(10), [], 'handed out once until the retry interval passes');
  assert.equal(expiry.renew(lessor.get(2n)!), false, 'an expired lease cannot be renewed');
  clock.ms += REVOKE_RETRY_MS;
  assert.deepEqual(expiry.takeExpired(10), [2n], 'handed out again when its revocation did not happen');
  lessor.revoke(2n);
  clock.ms += 2000;
  assert.equal(expiry.renew(lessor.get(1n)!), true);
  assert.equal(expiry.remainingMs(1n), 10_000);
  clock.ms += 9_999;
  assert.deepEqual(expiry.takeExpired(10), []);
  clock.ms += 1;
  assert.deepEqual(expiry.takeExpired(10), [1n]);
  expiry.demote();
  assert.equal(expiry.remainingMs(1n), undefined);
  await closeStore(opened);
});

test('expiry: many leases come out earliest first and respect the limit (randomized)', () => {
  const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
  console.log('SEED=' + seed);
  let x = seed >>> 0 || 1;
  const next = (bound: number): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) % bound; };
  const clock = new FakeClock();
  const expiry = new LeaseExpiry(clock);
  expiry.promote([], 0);
  const ttl = new Map<bigint, number>();
  for (let i = 1n; i <= 2000n; i++) {
    const seconds = 1 + next(100);
    ttl.set(i, seconds);
    expiry.granted({ id: i, ttlSeconds: seconds, remainingTtlSeconds: 0, keys: new Set() });
    if (next(3) === 0) expiry.renew({ id: i, ttlSeconds: seconds, remainingTtlSeconds: 0, keys: new Set() });
  }
  const seen: bigint[] = [];
  let lastDeadline = 0;
  for (let step = 0; step < 200; step++) {
    clock.ms += 600;
    const batch = expiry.takeExpired(17);
    assert.ok(batch.length <= 17);
    for (const id of batch) {
      const deadline = 1_000 + ttl.get(id)! * 1000;
      assert.ok(deadline <= clock.ms && deadline >= lastDeadline - 600 * 200, `lease ${id} out early`);
      lastDeadline = Math.max(lastDeadline, deadline);
      seen.push(id);
      expiry.revoked(id);
    }
  }
  assert.equal(new Set(seen).size, seen.length, 'no lease handed out twice after it was revoked');
  assert.equal(seen.length, 2000);
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
