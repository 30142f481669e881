/**
 * The Watch gRPC transport (src/api/watch-service.ts) in process: a grpc-js server with watchHandlers
 * over a stub EtcdServer (a real MvccStore), a raw client. Covers what the etcdctl e2e cannot: periodic
 * progress notifications, fragments, prev_kv from history, hasleader refusal and leader loss.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { watchHandlers, type WatchServiceOptions } from '../../api/watch-service.js';
import {
  ResponseHeader, WatchCreateRequest, WatchRequest, type WatchResponse,
} from '../../proto/gen/etcdserverpb.js';
import { WatchService } from '../../proto/services.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import type { Event } from '../kv-codec.js';
import type { MvccStore } from '../store.js';
import { closeStore, dec, enc, openStore, tempDbPath } from '../test-util.js';

interface Harness {
  client: grpc.Client & { watch(metadata?: grpc.Metadata): grpc.ClientDuplexStream<WatchRequest, WatchResponse> };
  write(ops: ReadonlyArray<readonly [string, string]>): number;
  leader: { present: boolean };
  close(): Promise<void>;
}

async function startHarness(options: WatchServiceOptions): Promise<Harness> {
  const opened = await openStore(tempDbPath());
  const listeners: Array<(events: Event[], revision: number) => void> = [];
  const stub = {
    store: opened.store as MvccStore,
    requestTimeoutMs: 7000,
    onEvents: (listener: (events: Event[], revision: number) => void) => listeners.push(listener),
    onStop: () => undefined,
    // Auth disabled: every watch is permitted (auth checks are tested in tests/e2e/auth-*.test.ts).
    auth: { isEnabled: () => false, checkRange: () => undefined },
    header: (revision = 0) => ResponseHeader.create({
      clusterId: 1n, memberId: 2n, raftTerm: 3, revision: revision || opened.store.currentRevision(),
    }),
  };
  const leader = { present: true };
  const probe = { hasLeader: () => leader.present, isLearner: () => false };
  const server = new grpc.Server();
  server.addService(WatchService, watchHandlers(stub as unknown as EtcdServer, probe, options));
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0',
    grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  const Client = grpc.makeGenericClientConstructor(WatchService, 'Watch');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Harness['client'];
  return {
    client, leader,
    write(ops) {
      const txn = opened.store.write();
      for (const [key, value] of ops) txn.put(enc(key), enc(value), 0n);
      const { events, revision } = txn.end();
      for (const listener of listeners) listener(events, revision);
      return revision;
    },
    async close() {
      client.close();
      server.forceShutdown();
      await closeStore(opened);
    },
  };
}

/** Collects responses; `next(n)` waits until n responses arrived. */
function collect(call: grpc.ClientDuplexStream<WatchRequest, WatchResponse>) {
  const responses: WatchResponse[] = [];
  let error: grpc.ServiceError | undefined;
  call.on('data', (r: WatchResponse) => responses.push(r));
  call.on('error', (e: grpc.ServiceError) => { error = e; });
  const until = async (done: () => boolean, what: string) => {
    const deadline = Date.now() + 3000;
    while (!done()) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}; got ${JSON.stringify(responses.length)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  return {
    responses, error: () => error,
    next: (count: number) => until(() => responses.length >= count, `${count} responses`),
    failed: () => until(() => error !== undefined, 'a stream error'),
  };
}

const create = (key: string, init: Partial<WatchCreateRequest> = {}) =>
  WatchRequest.create({ createRequest: WatchCreateRequest.create({ key: enc(key), ...init }) });

let h: Harness;
before(async () => {
  h = await startHarness({ progressNotifyIntervalMs: 100, maxRequestBytes: 60, leaderCheckIntervalMs: 20 });
  // maxRequestBytes 60 + the 512 KiB gRPC overhead: fragments need big responses.
});
after(async () => {
  await h.close();
});

test('periodic progress notifications only for progress_notify watchers without recent events', async () => {
  const call = h.client.watch();
  const got = collect(call);
  call.write(create('p', { progressNotify: true }));
  call.write(create('q'));
  await got.next(3);
  assert.deepEqual(got.responses.slice(0, 2).map((r) => [r.watchId, r.created]), [[0, true], [1, true]]);
  const progress = got.responses[2]!;
  assert.deepEqual([progress.watchId, progress.events.length, progress.created], [0, 0, false]);
  call.end();
  call.cancel();
});

test('fragment splits a large multi-event revision; prev_kv comes from history', async () => {
  const big = 'x'.repeat(300 * 1024);
  const first = h.write([['f/a', 'old']]);
  h.write([['f/a', big], ['f/b', big], ['f/c', big]]);
  const call = h.client.watch();
  const got = collect(call);
  call.write(create('f/', { rangeEnd: enc('f0'), startRevision: first + 1, fragment: true, prevKv: true }));
  await got.next(4);
  const pieces = got.responses.slice(1);
  assert.deepEqual(pieces.map((r) => [r.events.length, r.fragment]), [[1, true], [1, true], [1, false]]);
  assert.equal(dec(pieces[0]!.events[0]!.prevKv!.value), 'old', 'prev_kv looked up at mod_revision - 1');
  assert.equal(pieces[1]!.events[0]!.prevKv, undefined, 'no prev_kv for a create');
  call.cancel();
});

test('hasleader: refused without a leader, ended when the leader is lost', async () => {
  const metadata = new grpc.Metadata();
  metadata.set('hasleader', 'true');
  h.leader.present = false;
  const refused = collect(h.client.watch(metadata));
  await refused.failed();
  assert.equal(refused.error()!.details, 'etcdserver: no leader');
  assert.equal(refused.error()!.code, grpc.status.UNAVAILABLE);
  h.leader.present = true;
  const call = h.client.watch(metadata);
  const got = collect(call);
  call.write(create('k'));
  await got.next(1);
  h.leader.present = false;
  await got.failed();
  assert.equal(got.error()!.details, 'etcdserver: no leader');
  h.leader.present = true;
});
