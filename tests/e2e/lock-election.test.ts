/**
 * The v3lock Lock and v3election Election gRPC services under contention, on real etcd 3.4 and on tetcd
 * side by side (raw grpc-js clients, so a call can be cancelled): 10 waiters acquire in create-revision
 * order, one holder at a time; a waiter whose lease expires drops out of the queue; a cancelled Lock call
 * deletes its key; Observe streams every leader change. Subject only: a blocked waiter makes no reads
 * (no polling: etcd_debugging_mvcc_range_total stays put) and a waiter whose lease expired is told so.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { LeaseGrantRequest, RangeRequest } from '../../src/proto/gen/etcdserverpb.js';
import { CampaignRequest, LeaderRequest, type LeaderKey, ProclaimRequest, ResignRequest } from '../../src/proto/gen/v3electionpb.js';
import { LockRequest, UnlockRequest } from '../../src/proto/gen/v3lockpb.js';
import { ElectionService, KVService, LeaseService, LockService } from '../../src/proto/services.js';
import { ServerProcess, type ServerKind } from '../helpers/server.js';

const WAITERS = 10;
/** Long enough for a 25 ms poller to read many times. */
const QUIET_WINDOW_MS = 400;
const CONDITION_TIMEOUT_MS = 10_000;
const CONDITION_STEP_MS = 20;

type Callback = (error: grpc.ServiceError | null, response: never) => void;
type Method = (request: unknown, callback: Callback) => grpc.ClientUnaryCall;
type Client = Record<string, Method> & grpc.Client;

interface Kv { key: Uint8Array; value: Uint8Array; createRevision: number; modRevision: number }

/** Raw clients of one server. */
class Side {
  readonly clients: Client[] = [];
  constructor(readonly server: ServerProcess) {}

  client(definition: grpc.ServiceDefinition, name: string): Client {
    const Ctor = grpc.makeGenericClientConstructor(definition, name);
    const client = new Ctor(this.server.endpoint, grpc.credentials.createInsecure()) as unknown as Client;
    this.clients.push(client);
    return client;
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}

/** A unary call that can be cancelled: `done` settles with the response or the error. */
function start<T>(client: Client, method: string, request: unknown): { done: Promise<T>; cancel(): void } {
  let call: grpc.ClientUnaryCall | undefined;
  const done = new Promise<T>((resolve, reject) => {
    call = client[method]!.call(client, request, (error, response) => (error ? reject(error) : resolve(response)));
  });
  return { done, cancel: () => call?.cancel() };
}

const call = <T>(client: Client, method: string, request: unknown): Promise<T> =>
  start<T>(client, method, request).done;
const enc = (text: string): Uint8Array => Buffer.from(text);
const dec = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

interface Apis { kv: Client; lease: Client; lock: Client; election: Client }

function apis(side: Side): Apis {
  return {
    kv: side.client(KVService, 'KV'), lease: side.client(LeaseService, 'Lease'),
    lock: side.client(LockService, 'Lock'), election: side.client(ElectionService, 'Election'),
  };
}

async function grant(a: Apis, ttlSeconds: number): Promise<bigint> {
  return (await call<{ ID: bigint }>(a.lease, 'leaseGrant', LeaseGrantRequest.create({ TTL: ttlSeconds }))).ID;
}

async function keysUnder(a: Apis, prefix: string): Promise<Kv[]> {
  const end = enc(prefix);
  end[end.length - 1]! += 1;
  return (await call<{ kvs: Kv[] }>(a.kv, 'range', RangeRequest.create({ key: enc(prefix), rangeEnd: end }))).kvs;
}

/** Polls the test's own condition (the server is what must not poll). */
async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + CONDITION_TIMEOUT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, CONDITION_STEP_MS));
  }
}

const sides = new Map<ServerKind, Side>();

before(async () => {
  const [etcd, tetcd] = await Promise.all([
    ServerProcess.start({ kind: 'etcd', name: 'lock-etcd' }), ServerProcess.start({ kind: 'tetcd', name: 'lock-tetcd' }),
  ]);
  sides.set('etcd', new Side(etcd));
  sides.set('tetcd', new Side(tetcd));
});

after(async () => {
  for (const side of sides.values()) {
    side.close();
    await side.server.cleanup();
  }
});

function side(kind: ServerKind): Side {
  const found = sides.get(kind);
  assert.ok(found !== undefined, `${kind} did not start (see the before hook)`);
  return found;
}

for (const kind of ['etcd', 'tetcd'] as const) {
  test(`${kind}: ${WAITERS} Lock waiters acquire one at a time in create-revision order`, async () => {
    const a = apis(side(kind));
    const holderLease = await grant(a, 60);
    const holder = await call<{ key: Uint8Array }>(a.lock, 'lock', LockRequest.create({ name: enc('fifo'), lease: holderLease }));
    const leases = await Promise.all(Array.from({ length: WAITERS }, () => grant(a, 60)));
    let holding = 0;
    const order: string[] = [];
    const waiters = leases.map(async (lease) => {
      const { key } = await call<{ key: Uint8Array }>(a.lock, 'lock', LockRequest.create({ name: enc('fifo'), lease }));
      assert.equal(holding, 0, 'two holders at once');
      holding++;
      order.push(dec(key));
      holding--;
      await call(a.lock, 'unlock', { key });
    });
    await until('every waiter to queue', async () => (await keysUnder(a, 'fifo/')).length === WAITERS + 1);
    const byCreate = (await keysUnder(a, 'fifo/')).sort((x, y) => x.createRevision - y.createRevision)
      .map((kv) => dec(kv.key)).filter((key) => key !== dec(holder.key));
    await call(a.lock, 'unlock', UnlockRequest.create({ key: holder.key }));
    await Promise.all(waiters);
    assert.deepEqual(order, byCreate);
  });

  test(`${kind}: a Lock waiter whose lease expires drops out of the queue`, async () => {
    const a = apis(side(kind));
    const holder = await call<{ key: Uint8Array }>(a.lock, 'lock', LockRequest.create({ name: enc('expiry'), lease: await grant(a, 60) }));
    const shortLease = await grant(a, 2);
    const doomed = start<{ key: Uint8Array }>(a.lock, 'lock', LockRequest.create({ name: enc('expiry'), lease: shortLease }));
    doomed.done.catch(() => undefined);
    await until('the doomed waiter to queue', async () => (await keysUnder(a, 'expiry/')).length === 2);
    const next = start<{ key: Uint8Array }>(a.lock, 'lock', LockRequest.create({ name: enc('expiry'), lease: await grant(a, 60) }));
    await until('the next waiter to queue', async () => (await keysUnder(a, 'expiry/')).length === 3);
    await until('the short lease to expire', async () => (await keysUnder(a, 'expiry/')).length === 2);
    if (kind === 'tetcd') await assert.rejects(doomed.done, /mutex: session is expired/);
    await call(a.lock, 'unlock', UnlockRequest.create({ key: holder.key }));
    const acquired = await next.done;
    assert.match(dec(acquired.key), /^expiry\//);
    await call(a.lock, 'unlock', UnlockRequest.create({ key: acquired.key }));
    doomed.cancel();
  });

  test(`${kind}: a cancelled Lock call deletes its key and the queue moves on`, async () => {
    const a = apis(side(kind));
    const holder = await call<{ key: Uint8Array }>(a.lock, 'lock', LockRequest.create({ name: enc('cancel'), lease: await grant(a, 60) }));
    const cancelled = start(a.lock, 'lock', LockRequest.create({ name: enc('cancel'), lease: await grant(a, 60) }));
    cancelled.done.catch(() => undefined);
    await until('the waiter to queue', async () => (await keysUnder(a, 'cancel/')).length === 2);
    cancelled.cancel();
    await assert.rejects(cancelled.done, (error: grpc.ServiceError) => error.code === grpc.status.CANCELLED);
    await until('the cancelled waiter\'s key to be deleted', async () => (await keysUnder(a, 'cancel/')).length === 1);
    assert.deepEqual((await keysUnder(a, 'cancel/')).map((kv) => dec(kv.key)), [dec(holder.key)]);
    await call(a.lock, 'unlock', UnlockRequest.create({ key: holder.key }));
  });

  test(`${kind}: Observe streams each leader change (proclaim, resign, next candidate)`, async () => {
    const a = apis(side(kind));
    const first = await call<{ leader: LeaderKey }>(a.election, 'campaign',
      CampaignRequest.create({ name: enc('obs'), lease: await grant(a, 60), value: enc('a1') }));
    const observe = a.election['observe'] as unknown as (request: unknown) => grpc.ClientReadableStream<{ kv: Kv }>;
    const stream = observe.call(a.election, LeaderRequest.create({ name: enc('obs') }));
    const seen: string[] = [];
    const waiters: { count: number; resolve: () => void }[] = [];
    stream.on('data', (response: { kv: Kv }) => {
      seen.push(dec(response.kv.value));
      for (const waiter of waiters) if (seen.length >= waiter.count) waiter.resolve();
    });
    stream.on('error', () => undefined);
    const seenCount = (count: number): Promise<void> => (seen.length >= count ? Promise.resolve()
      : new Promise((resolve) => { waiters.push({ count, resolve }); }));
    await seenCount(1);
    await call(a.election, 'proclaim', ProclaimRequest.create({ leader: first.leader, value: enc('a2') }));
    await seenCount(2);
    const second = start(a.election, 'campaign', CampaignRequest.create({ name: enc('obs'), lease: await grant(a, 60), value: enc('b1') }));
    await until('the second candidate to queue', async () => (await keysUnder(a, 'obs/')).length === 2);
    await call(a.election, 'resign', ResignRequest.create({ leader: first.leader }));
    await second.done;
    await seenCount(3);
    stream.cancel();
    assert.deepEqual(seen, ['a1', 'a2', 'b1']);
  });
}

/** etcd_debugging_mvcc_range_total from the member's /metrics. */
async function rangeCount(server: ServerProcess): Promise<number> {
  const text = await (await fetch(`${server.clientUrl}/metrics`)).text();
  const match = /^etcd_debugging_mvcc_range_total (\d+)/m.exec(text);
  assert.ok(match !== null, 'etcd_debugging_mvcc_range_total not exported');
  return Number(match[1]);
}

test('tetcd: blocked Lock and Campaign waiters and an Observe stream make no reads (no polling)', async () => {
  const s = side('tetcd');
  const a = apis(s);
  const holder = await call<{ key: Uint8Array }>(a.lock, 'lock', LockRequest.create({ name: enc('quiet'), lease: await grant(a, 60) }));
  const waiter = start<{ key: Uint8Array }>(a.lock, 'lock', LockRequest.create({ name: enc('quiet'), lease: await grant(a, 60) }));
  const leader = await call<{ leader: LeaderKey }>(a.election, 'campaign',
    CampaignRequest.create({ name: enc('quiet-el'), lease: await grant(a, 60), value: enc('x') }));
  const candidate = start(a.election, 'campaign', CampaignRequest.create({ name: enc('quiet-el'), lease: await grant(a, 60), value: enc('y') }));
  const observe = a.election['observe'] as unknown as (request: unknown) => grpc.ClientReadableStream<unknown>;
  const stream = observe.call(a.election, LeaderRequest.create({ name: enc('quiet-el') }));
  stream.on('error', () => undefined);
  await new Promise((resolve) => stream.once('data', resolve));
  await until('both waiters to queue', async () =>
    (await keysUnder(a, 'quiet/')).length === 2 && (await keysUnder(a, 'quiet-el/')).length === 2);
  const before = await rangeCount(s.server);
  await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
  assert.equal(await rangeCount(s.server), before, 'a blocked waiter read the store while nothing changed');
  await call(a.lock, 'unlock', UnlockRequest.create({ key: holder.key }));
  const acquired = await waiter.done;
  await call(a.election, 'resign', ResignRequest.create({ leader: leader.leader }));
  await candidate.done;
  stream.cancel();
  await call(a.lock, 'unlock', UnlockRequest.create({ key: acquired.key }));
});
