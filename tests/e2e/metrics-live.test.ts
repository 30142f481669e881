/**
 * Metrics that stayed at 0 before they were wired, made to move on a live tetcd (subject only; etcd has
 * the same names, checked by src/metrics/etcd-metrics.test.ts):
 * - one member with `--experimental-warning-apply-duration 1ns` (every apply is slow) and
 *   `--snapshot-count 5`: etcd_server_slow_apply_total, etcd_debugging_server_lease_expired_total,
 *   etcd_debugging_snap_save_total_duration_seconds, etcd_disk_backend_snapshot_duration_seconds (etcdctl
 *   snapshot save) and the watch gauges (watchers and streams up, then down on cancel);
 * - three members: pausing the leader (SIGSTOP, shorter than an election timeout) makes its next heartbeat
 *   late (etcd_server_heartbeat_send_failures_total); a linearizable read on the leader while both
 *   followers are paused goes unanswered and is asked again (etcd_server_slow_read_indexes_total).
 * Also the apply-time quota check: a follower restarted with a 4 MiB quota raises NOSPACE for itself
 * when it applies puts that the leader (default quota) accepted.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  LeaseGrantRequest, PutRequest, WatchCreateRequest, WatchRequest,
} from '../../src/proto/gen/etcdserverpb.js';
import { KVService, LeaseService, WatchService } from '../../src/proto/services.js';
import { Cluster } from '../helpers/cluster.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { ServerProcess } from '../helpers/server.js';

const METRIC_TIMEOUT_MS = 15_000;
const METRIC_POLL_MS = 50;
/** Leader pause: several heartbeat intervals (100 ms), well under the election timeout (1 s). */
const LEADER_PAUSE_MS = 500;
/** The follower's quota in the NOSPACE test, and the puts that take its backend past it. */
const SMALL_QUOTA_BYTES = 4 * 1024 * 1024;
const BIG_VALUE_BYTES = 1024 * 1024;
const BIG_PUTS = 6;

type Callback = (error: grpc.ServiceError | null, response: never) => void;
type Client = Record<string, (request: unknown, callback: Callback) => void> & grpc.Client;

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function client(endpoint: string, definition: grpc.ServiceDefinition, name: string): Client {
  const Ctor = grpc.makeGenericClientConstructor(definition, name);
  const made = new Ctor(endpoint, grpc.credentials.createInsecure()) as unknown as Client;
  cleanups.push(() => made.close());
  return made;
}

const call = <T>(c: Client, method: string, request: unknown): Promise<T> =>
  new Promise((resolve, reject) => c[method]!.call(c, request,
    (error, response) => (error ? reject(error) : resolve(response))));

/** The value of an unlabelled series (`name` or `name_count`) in the member's /metrics. */
async function metric(clientUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${clientUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line !== undefined, `${name} is not exported`);
  return Number(line.slice(name.length + 1));
}

/** Polls /metrics until `predicate(value)` holds; fails with the last value. */
async function metricUntil(clientUrl: string, name: string, predicate: (value: number) => boolean): Promise<number> {
  const deadline = Date.now() + METRIC_TIMEOUT_MS;
  for (;;) {
    const value = await metric(clientUrl, name);
    if (predicate(value)) return value;
    if (Date.now() > deadline) assert.fail(`${name} stayed at ${value}`);
    await new Promise((resolve) => setTimeout(resolve, METRIC_POLL_MS));
  }
}

test('one member: slow apply, lease expiry, snapshot and hash durations move', async () => {
  const server = await ServerProcess.start({ kind: 'tetcd', name: 'metrics-live',
    extraArgs: ['--experimental-warning-apply-duration', '1ns', '--snapshot-count', '5'] });
  cleanups.push(() => server.cleanup());
  const url = server.clientUrl;
  const kv = client(server.endpoint, KVService, 'KV');
  const lease = client(server.endpoint, LeaseService, 'Lease');
  await call(kv, 'put', PutRequest.create({ key: Buffer.from('a'), value: Buffer.from('1') }));
  assert.ok(await metric(url, 'etcd_server_slow_apply_total') >= 1, 'an apply over the 1ns threshold counts');

  await call(lease, 'leaseGrant', LeaseGrantRequest.create({ TTL: 1 }));
  for (let i = 0; i < 6; i++) await call(kv, 'put', PutRequest.create({ key: Buffer.from(`s${i}`), value: Buffer.from('v') }));
  await metricUntil(url, 'etcd_debugging_snap_save_total_duration_seconds_count', (v) => v >= 1);

  const saved = await runEtcdctl(server.endpoint, ['snapshot', 'save', join(server.rootDir, 'live.db')]);
  assert.equal(saved.exitCode, 0, saved.stderr);
  assert.ok(await metric(url, 'etcd_disk_backend_snapshot_duration_seconds_count') >= 1);
  const hashed = await runEtcdctl(server.endpoint, ['endpoint', 'hashkv']);
  assert.equal(hashed.exitCode, 0, hashed.stderr);
  assert.ok(await metric(url, 'etcd_mvcc_hash_rev_duration_seconds_count') >= 1, 'HashKV times itself');
  assert.ok(await metric(url, 'os_fd_limit') >= await metric(url, 'os_fd_used'), 'os_fd_limit is the open-files limit');

  await metricUntil(url, 'etcd_debugging_server_lease_expired_total', (v) => v >= 1);
  for (const gauge of ['watcher_total', 'watch_stream_total', 'slow_watcher_total', 'pending_events_total']) {
    assert.equal(await metric(url, `etcd_debugging_mvcc_${gauge}`), 0, 'no watch yet');
  }
  liveServer = server;
});

let liveServer: ServerProcess | undefined;

test('one member: watcher and watch stream gauges follow a watch stream', async () => {
  assert.ok(liveServer !== undefined, 'the first test did not start the server');
  await watchGauges(liveServer, client(liveServer.endpoint, KVService, 'KV'));
});

/**
 * Two watchers on one stream, then the stream is cancelled. (Slow watchers and pending events need the
 * client's HTTP/2 window and socket buffers filled first: the unit tests in src/mvcc/watch cover them.)
 */
async function watchGauges(server: ServerProcess, kv: Client): Promise<void> {
  const url = server.clientUrl;
  const watch = client(server.endpoint, WatchService, 'Watch') as unknown as
    { watch(): grpc.ClientDuplexStream<WatchRequest, unknown> };
  const stream = watch.watch();
  stream.on('error', () => undefined);
  const events = new Promise((resolve) => stream.once('data', () => stream.once('data', resolve)));
  stream.write(WatchRequest.create({ createRequest: WatchCreateRequest.create({ key: Buffer.from('k') }) }));
  stream.write(WatchRequest.create({ createRequest: WatchCreateRequest.create({ key: Buffer.from('other') }) }));
  await metricUntil(url, 'etcd_debugging_mvcc_watcher_total', (v) => v === 2);
  assert.equal(await metric(url, 'etcd_debugging_mvcc_watch_stream_total'), 1);
  assert.equal(await metric(url, 'etcd_debugging_mvcc_slow_watcher_total'), 0);
  await call(kv, 'put', PutRequest.create({ key: Buffer.from('k'), value: Buffer.from('v') }));
  await events;
  stream.cancel();
  await metricUntil(url, 'etcd_debugging_mvcc_watch_stream_total', (v) => v === 0);
  assert.equal(await metric(url, 'etcd_debugging_mvcc_watcher_total'), 0);
  assert.equal(await metric(url, 'etcd_debugging_mvcc_pending_events_total'), 0);
}

let liveCluster: Cluster | undefined;

test('three members: a paused leader counts a late heartbeat; an unanswered read index is a slow one', async () => {
  const cluster = await Cluster.start({ kind: 'tetcd' });
  cleanups.push(() => cluster.cleanup());
  liveCluster = cluster;
  const leader = await cluster.leader();
  const followers = cluster.running().filter((m) => m !== leader);
  // A loaded machine may already have sent a heartbeat late: count from here.
  const lateBefore = await metric(leader.clientUrl, 'etcd_server_heartbeat_send_failures_total');
  leader.pause();
  await new Promise((resolve) => setTimeout(resolve, LEADER_PAUSE_MS));
  leader.resume();
  await metricUntil(leader.clientUrl, 'etcd_server_heartbeat_send_failures_total', (v) => v > lateBefore);

  for (const follower of followers) follower.pause();
  try {
    const read = await runEtcdctl(leader.endpoint, ['get', 'x', '--command-timeout=1s']);
    assert.notEqual(read.exitCode, 0, 'a read without a quorum cannot be linearizable');
    assert.ok(await metric(leader.clientUrl, 'etcd_server_slow_read_indexes_total') >= 1);
  } finally {
    for (const follower of followers) follower.resume();
  }
});

test('three members: a follower with a smaller quota raises NOSPACE for itself when it applies a put', async () => {
  assert.ok(liveCluster !== undefined, 'the cluster did not start');
  const leader = await liveCluster.leader();
  const small = liveCluster.running().find((m) => m !== leader);
  assert.ok(small !== undefined && small.id !== undefined);
  await small.stop();
  small.spec.extraArgs = [...small.spec.extraArgs, '--quota-backend-bytes', String(SMALL_QUOTA_BYTES)];
  await small.restart();
  // The leader (default quota) accepts every put; only the small member goes over quota while applying.
  const kv = client(leader.endpoint, KVService, 'KV');
  const value = Buffer.alloc(BIG_VALUE_BYTES, 'q');
  for (let i = 0; i < BIG_PUTS; i++) {
    await call(kv, 'put', PutRequest.create({ key: Buffer.from(`big${i}`), value })).catch(() => undefined);
  }
  const deadline = Date.now() + METRIC_TIMEOUT_MS;
  for (;;) {
    const alarms = await runEtcdctl(leader.endpoint, ['alarm', 'list']);
    if (alarms.stdout.includes(`memberID:${small.id} alarm:NOSPACE`)) break;
    if (Date.now() > deadline) assert.fail(`no NOSPACE alarm for the small member ${small.id}: ${alarms.stdout}`);
    await new Promise((resolve) => setTimeout(resolve, METRIC_POLL_MS));
  }
});
