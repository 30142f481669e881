/**
 * Watch measurements against a real server process (numbers for docs/design/0006-watch.md): server
 * RSS per watcher with 10,000 watchers on one stream, RSS per stream with 1,000 streams of one
 * watcher, and fan-out latency (put issued → event received on each of the 1,000 streams; p50/p99).
 * Slow (~1 min) and machine dependent, so it only runs with WATCH_MEASURE=1; otherwise it checks
 * nothing and says so. E2E_SUBJECT=etcd measures etcd for comparison.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  PutRequest, WatchCreateRequest, WatchRequest, type PutResponse, type WatchResponse,
} from '../../src/proto/gen/etcdserverpb.js';
import { KVService, WatchService } from '../../src/proto/services.js';
import { subjectKind } from '../helpers/oracle.js';
import { ServerProcess } from '../helpers/server.js';

const ENABLED = process.env['WATCH_MEASURE'] === '1';
const WATCHERS_ON_ONE_STREAM = 10_000;
const STREAMS = 1_000;
const FANOUT_PUTS = 100;
const CHANNELS = 10;

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
type Callback<T> = (error: grpc.ServiceError | null, value?: T) => void;
interface KvClient extends grpc.Client { put(request: PutRequest, callback: Callback<PutResponse>): void }
interface WatchClient extends grpc.Client { watch(): grpc.ClientDuplexStream<WatchRequest, WatchResponse> }

let server: ServerProcess | undefined;
before(async () => {
  if (ENABLED) server = await ServerProcess.start({ kind: subjectKind(), name: 'watch-measure' });
});
after(async () => {
  await server?.cleanup();
});

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(match?.[1] !== undefined, 'no VmRSS');
  return Number(match[1]) * 1024;
}

/** RSS after the server settles (sampled a few times, minimum taken to damp GC noise). */
async function settledRss(pid: number): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    await sleep(400);
    best = Math.min(best, rssBytes(pid));
  }
  return best;
}

function openWatch(client: WatchClient, key: string, onEvent: (response: WatchResponse) => void): Promise<void> {
  const call = client.watch();
  return new Promise((resolve) => {
    call.on('data', (response: WatchResponse) => (response.created ? resolve() : onEvent(response)));
    call.on('error', () => undefined);
    call.write(WatchRequest.create({ createRequest: WatchCreateRequest.create({ key: enc(key) }) }));
  });
}

test('measure watch memory and fan-out latency (WATCH_MEASURE=1)', { timeout: 300_000 }, async (t) => {
  if (!ENABLED) {
    t.diagnostic('WATCH_MEASURE is not 1: nothing measured');
    return;
  }
  assert.ok(server !== undefined);
  const credentials = grpc.credentials.createInsecure();
  const WatchCtor = grpc.makeGenericClientConstructor(WatchService, 'Watch') as unknown as
    new (a: string, c: grpc.ChannelCredentials, o?: object) => WatchClient;
  const KvCtor = grpc.makeGenericClientConstructor(KVService, 'KV') as unknown as new (a: string, c: grpc.ChannelCredentials) => KvClient;
  const channels = Array.from({ length: CHANNELS }, (_, i) => new WatchCtor(server!.endpoint, credentials, { 'grpc.channel_id': i }));
  await openWatch(channels[0]!, 'warmup', () => undefined);
  const pid = server.pid;
  assert.ok(pid !== undefined, 'server has no pid');
  const base = await settledRss(pid);

  // 10,000 watchers on one stream.
  const big = channels[0]!.watch();
  big.on('error', () => undefined);
  let created = 0;
  big.on('data', (response: WatchResponse) => { if (response.created) created++; });
  for (let i = 0; i < WATCHERS_ON_ONE_STREAM; i++) {
    big.write(WatchRequest.create({ createRequest: WatchCreateRequest.create({ key: enc(`m/${i}`) }) }));
  }
  while (created < WATCHERS_ON_ONE_STREAM) await sleep(50);
  const afterWatchers = await settledRss(pid);

  // 1,000 streams with one watcher each on the same key, spread over 10 channels.
  const received: number[][] = Array.from({ length: FANOUT_PUTS }, () => []);
  let issuedAt = 0;
  let current = -1;
  const opens: Array<Promise<void>> = [];
  for (let i = 0; i < STREAMS; i++) {
    opens.push(openWatch(channels[i % CHANNELS]!, 'fan', () => {
      if (current >= 0) received[current]!.push(performance.now() - issuedAt);
    }));
  }
  await Promise.all(opens);
  const afterStreams = await settledRss(pid);

  const kv = new KvCtor(server.endpoint, credentials);
  for (let i = 0; i < FANOUT_PUTS; i++) {
    current = i;
    issuedAt = performance.now();
    await new Promise((resolve, reject) => kv.put(PutRequest.create({ key: enc('fan'), value: enc(String(i)) }),
      (error) => (error ? reject(error) : resolve(undefined))));
    const deadline = Date.now() + 5000;
    while (received[i]!.length < STREAMS && Date.now() < deadline) await sleep(2);
  }
  const latencies = received.flat().sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))]!.toFixed(1);
  const result = {
    subject: subjectKind(),
    rssBytesPerWatcherOneStream: Math.round((afterWatchers - base) / WATCHERS_ON_ONE_STREAM),
    rssBytesPerStreamOneWatcher: Math.round((afterStreams - afterWatchers) / STREAMS),
    fanoutPutToEventMs: { p50: pct(50), p99: pct(99), max: pct(100), deliveries: latencies.length },
  };
  console.log(JSON.stringify(result));
  assert.equal(latencies.length, FANOUT_PUTS * STREAMS, 'every stream received every put');
  big.cancel();
  kv.close();
  for (const channel of channels) channel.close();
  await sleep(200);
});
