import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEtcdError } from '../base/errors.js';
import {
  InternalRaftRequest, LeaseGrantRequest, LeaseKeepAliveResponse, LeaseTimeToLiveRequest, type LeaseGrantResponse,
} from '../proto/gen/etcdserverpb.js';
import { closeStore, dec, enc, openStore, put, tempDbPath } from '../mvcc/test-util.js';
import { EXPIRY_CHECK_INTERVAL_MS, LeaseManager, type LeaseHost } from './lease-manager.js';

class FakeClock {
  ms = 0;
  nowMs(): number { return this.ms; }
  wallMs(): number { return this.ms; }
}

/** A one-member host: proposals apply at once through the manager's own applier. */
async function setup(leader: boolean, checkpointIntervalMs?: number): Promise<{
  manager: LeaseManager; clock: FakeClock; host: LeaseHost; proposals: InternalRaftRequest[];
  close: () => Promise<void>; store: Awaited<ReturnType<typeof openStore>>['store'];
}> {
  const opened = await openStore(tempDbPath());
  const clock = new FakeClock();
  const proposals: InternalRaftRequest[] = [];
  let nextId = 0x10n;
  const host: LeaseHost = {
    clock, electionTimeoutMs: 1000, checkpointIntervalMs, isLeader: () => leader, leaderId: () => (leader ? 1n : 2n),
    nextId: () => nextId++, warn: () => undefined,
    propose: (request) => {
      proposals.push(request);
      try {
        const decoded = InternalRaftRequest.decode(InternalRaftRequest.encode(request));
        return Promise.resolve(manager.applier.apply(decoded)!.response);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    forward: undefined,
  };
  const manager = new LeaseManager(opened.backend, opened.store, host);
  manager.setLeader(leader);
  const close = async (): Promise<void> => {
    manager.stop();
    await closeStore(opened);
  };
  return { manager, clock, host, proposals, store: opened.store, close };
}

test('grant picks a positive id when none is given; keepalive and time-to-live on the leader', async () => {
  const { manager, clock, close } = await setup(true);
  const granted = await manager.grant(LeaseGrantRequest.create({ TTL: 1 }));
  assert.ok(granted.ID > 0n);
  assert.equal(granted.TTL, 2, 'raised to ceil(1.5 x 1000 ms)');
  await assert.rejects(manager.grant(LeaseGrantRequest.create({ TTL: 9_000_000_001 })), (e) => isEtcdError(e, 'ERR_LEASE_TTL_TOO_LARGE'));
  await assert.rejects(manager.grant(LeaseGrantRequest.create({ ID: granted.ID, TTL: 5 })), (e) => isEtcdError(e, 'ERR_LEASE_EXIST'));
  clock.ms += 1500;
  let ttl = await manager.timeToLive(LeaseTimeToLiveRequest.create({ ID: granted.ID }));
  assert.deepEqual([ttl.TTL, ttl.grantedTTL], [0, 2]);
  assert.equal(await manager.keepAlive(granted.ID), 2);
  ttl = await manager.timeToLive(LeaseTimeToLiveRequest.create({ ID: granted.ID }));
  assert.equal(ttl.TTL, 2);
  ttl = await manager.timeToLive(LeaseTimeToLiveRequest.create({ ID: 999n }));
  assert.deepEqual([ttl.TTL, ttl.grantedTTL], [-1, 0]);
  await assert.rejects(manager.keepAlive(999n), (e) => isEtcdError(e, 'ERR_LEASE_NOT_FOUND'));
  assert.deepEqual(manager.leases().leases.map((l) => l.ID), [granted.ID]);
  await close();
});

test('the leader proposes revocation of expired leases; their keys go in one revision', async () => {
  const { manager, clock, store, proposals, host, close } = await setup(true);
  let expiredCount = 0;
  host.leaseExpired = () => { expiredCount++; };
  const granted = await manager.grant(LeaseGrantRequest.create({ ID: 7n, TTL: 3 })) as LeaseGrantResponse;
  put(store, 'k1', 'v', granted.ID);
  manager.lessor.attach(granted.ID, enc('k1'));
  put(store, 'k2', 'v', granted.ID);
  manager.lessor.attach(granted.ID, enc('k2'));
  const revision = store.currentRevision();
  clock.ms += 2999;
  await new Promise((resolve) => setTimeout(resolve, EXPIRY_CHECK_INTERVAL_MS * 2));
  assert.equal(proposals.filter((p) => p.leaseRevoke !== undefined).length, 0, 'not revoked before its TTL');
  clock.ms += 1;
  await new Promise((resolve) => setTimeout(resolve, EXPIRY_CHECK_INTERVAL_MS * 2));
  assert.equal(proposals.filter((p) => p.leaseRevoke !== undefined).length, 1);
  assert.equal(expiredCount, 1, 'etcd_debugging_server_lease_expired_total hook');
  await manager.revoke((await manager.grant(LeaseGrantRequest.create({ TTL: 5 }))).ID);
  assert.equal(expiredCount, 1, 'a client revoke is not an expiry');
  assert.equal(manager.lessor.exists(7n), false);
  assert.equal(store.currentRevision(), revision + 1);
  assert.deepEqual(store.range(enc('k'), enc('l')).kvs.map((kv) => dec(kv.key)), []);
  await close();
});

test('a follower forwards keepalive and time-to-live to the leader, and keeps no deadlines', async () => {
  const leader = await setup(true);
  const follower = await setup(false);
  follower.host.forward = (_leaderId, kind, request) => leader.manager.serveForwarded(kind, request);
  const granted = await leader.manager.grant(LeaseGrantRequest.create({ ID: 5n, TTL: 10 }));
  assert.equal(await follower.manager.keepAlive(granted.ID), 10);
  const ttl = await follower.manager.timeToLive(LeaseTimeToLiveRequest.create({ ID: 5n }));
  assert.deepEqual([ttl.ID, ttl.TTL, ttl.grantedTTL], [5n, 10, 10]);
  await assert.rejects(follower.manager.keepAlive(6n), (e) => isEtcdError(e, 'ERR_LEASE_NOT_FOUND'));
  const unknown = LeaseKeepAliveResponse.decode(await leader.manager.serveForwarded('keepalive',
    new Uint8Array([8, 6])));
  assert.deepEqual([unknown.ID, unknown.TTL], [6n, 0]);
  await assert.rejects(follower.manager.serveForwarded('keepalive', new Uint8Array(0)), (e) => isEtcdError(e, 'ERR_NOT_LEADER'));
  follower.host.forward = undefined;
  await assert.rejects(follower.manager.keepAlive(5n), (e) => isEtcdError(e, 'ERR_NOT_LEADER'));
  await leader.close();
  await follower.close();
});

test('with checkpoints the leader proposes remaining TTLs; a new leader resumes from them; keepalive clears them',
  async () => {
    const CHECKPOINT_MS = 50;
    const { manager, clock, proposals, close } = await setup(true, CHECKPOINT_MS);
    await manager.grant(LeaseGrantRequest.create({ ID: 9n, TTL: 100 }));
    await manager.grant(LeaseGrantRequest.create({ ID: 10n, TTL: 2 }));
    clock.ms += 40_000;
    await new Promise((resolve) => setTimeout(resolve, CHECKPOINT_MS * 3));
    const checkpoints = proposals.flatMap((p) => p.leaseCheckpoint?.checkpoints ?? []);
    assert.ok(checkpoints.length > 0, 'no checkpoint proposed');
    const shown = JSON.stringify(checkpoints, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    assert.ok(checkpoints.every((c) => c.ID === 9n && c.remainingTTL === 60), shown);
    assert.equal(manager.lessor.get(9n)!.remainingTtlSeconds, 60);

    manager.setLeader(false);
    clock.ms += 1_000;
    manager.setLeader(true);
    let ttl = await manager.timeToLive(LeaseTimeToLiveRequest.create({ ID: 9n }));
    assert.equal(ttl.TTL, 61, 'a new leader resumes from the checkpoint (+ one election timeout), not the full TTL');

    assert.equal(await manager.keepAlive(9n), 100);
    assert.equal(manager.lessor.get(9n)!.remainingTtlSeconds, 0, 'keepalive clears the checkpointed remainder');
    manager.setLeader(false);
    manager.setLeader(true);
    ttl = await manager.timeToLive(LeaseTimeToLiveRequest.create({ ID: 9n }));
    assert.equal(ttl.TTL, 101);
    await close();
  });

test('without checkpoints a new leader grants a full TTL again (etcd default)', async () => {
  const { manager, clock, proposals, close } = await setup(true);
  await manager.grant(LeaseGrantRequest.create({ ID: 9n, TTL: 100 }));
  clock.ms += 40_000;
  await new Promise((resolve) => setTimeout(resolve, EXPIRY_CHECK_INTERVAL_MS * 2));
  assert.equal(proposals.filter((p) => p.leaseCheckpoint !== undefined).length, 0);
  manager.setLeader(false);
  manager.setLeader(true);
  const ttl = await manager.timeToLive(LeaseTimeToLiveRequest.create({ ID: 9n }));
  assert.equal(ttl.TTL, 101);
  await close();
});
