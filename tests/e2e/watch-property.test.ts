/**
 * Seeded property test of etcd's watch guarantees against a real server (tetcd; E2E_SUBJECT=etcd runs
 * it against etcd itself). Concurrent writers (puts, deletes, multi-op txns with values big enough
 * to fill HTTP/2 windows) and compactions run while several watch streams (one reading slowly, to
 * exercise server back-pressure) create, cancel and resume watchers with random ranges, start
 * revisions, prev_kv and filters, and ask for progress. The committed history is rebuilt from the
 * write responses; every watcher must then have received exactly its slice of that history:
 * ordered, unique, atomic per revision, without gaps, resumable from last revision + 1, consistent
 * with the KV model (create/mod revision, version, value, prev_kv), bookmarkable (a progress response
 * at R means every event <= R was already delivered), and canceled only when its next revision was
 * compacted. Prints SEED first; SEED=<n> replays the same random choices.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { SeededRandom } from '../../src/base/random.js';
import {
  DeleteRangeRequest, PutRequest, RequestOp, TxnRequest, WatchCancelRequest, WatchCreateRequest,
  WatchProgressRequest, WatchRequest, CompactionRequest,
  type DeleteRangeResponse, type PutResponse, type TxnResponse, type WatchResponse,
} from '../../src/proto/gen/etcdserverpb.js';
import type { Event, KeyValue } from '../../src/proto/gen/mvccpb.js';
import { KVService, WatchService } from '../../src/proto/services.js';
import { ServerProcess } from '../helpers/server.js';
import { subjectKind } from '../helpers/oracle.js';

const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000_000);
console.log('SEED=' + seed);
const random = new SeededRandom(seed);

const WRITES = Number(process.env['WATCH_WRITES'] ?? 400);
const WRITERS = 4;
const STREAMS = 3;
const KEYS = ['a/0', 'a/1', 'a/2', 'a/3', 'b/0', 'b/1', 'b/2'];
const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
const RANGES: ReadonlyArray<readonly [string, string]> = [
  ['a/1', ''], ['b/2', ''], ['a/', 'a0'], ['b/', 'b0'], ['a/2', 'b/1'], ['\0', '\0'], ['a/3', '\0'],
];

let server: ServerProcess | undefined;
before(async () => {
  server = await ServerProcess.start({ kind: subjectKind(), name: 'watch-property' });
});
after(async () => {
  await server?.cleanup();
});

type Callback<T> = (error: grpc.ServiceError | null, value?: T) => void;
interface KvClient extends grpc.Client {
  put(request: PutRequest, callback: Callback<PutResponse>): void;
  deleteRange(request: DeleteRangeRequest, callback: Callback<DeleteRangeResponse>): void;
  txn(request: TxnRequest, callback: Callback<TxnResponse>): void;
  compact(request: CompactionRequest, callback: Callback<unknown>): void;
}
interface WatchClient extends grpc.Client {
  watch(): grpc.ClientDuplexStream<WatchRequest, WatchResponse>;
}

function call<T>(invoke: (callback: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => invoke((error, value) => (error ? reject(error) : resolve(value as T))));
}

/** A write the model knows: its revision and its events in order (PUT value / DELETE). */
interface Committed { revision: number; changes: Array<{ key: string; value: string | undefined }> }

/** One watcher instance as the client saw it. */
interface WatcherRecord {
  stream: number;
  range: readonly [string, string];
  startRevision: number;
  prevKv: boolean;
  noPut: boolean;
  noDelete: boolean;
  id: number | undefined;
  responses: WatchResponse[];
  /** Set when the server canceled it because of compaction. */
  compactRevision: number;
  canceledByUs: boolean;
  /** Events received when each progress response arrived, with that response's revision. */
  bookmarks: Array<{ revision: number; eventCount: number }>;
}

class StreamDriver {
  readonly call: grpc.ClientDuplexStream<WatchRequest, WatchResponse>;
  readonly watchers: WatcherRecord[] = [];
  private readonly awaitingCreated: WatcherRecord[] = [];
  private readonly byId = new Map<number, WatcherRecord>();
  /** Ids canceled already: late responses for them are ignored. */
  private readonly retired = new Set<number>();
  progressRevision = 0;
  readonly problems: string[] = [];

  constructor(client: WatchClient, readonly index: number) {
    this.call = client.watch();
    this.call.on('data', (response: WatchResponse) => this.onResponse(response));
    this.call.on('error', () => undefined);
  }

  create(record: WatcherRecord): void {
    this.watchers.push(record);
    this.awaitingCreated.push(record);
    const [key, rangeEnd] = record.range;
    const filters = [...(record.noPut ? [0] : []), ...(record.noDelete ? [1] : [])];
    this.call.write(WatchRequest.create({ createRequest: WatchCreateRequest.create({
      key: enc(key), rangeEnd: enc(rangeEnd), startRevision: record.startRevision, prevKv: record.prevKv, filters,
    }) }));
  }

  cancel(record: WatcherRecord): void {
    if (record.id === undefined || record.canceledByUs || record.compactRevision !== 0) return;
    record.canceledByUs = true;
    this.call.write(WatchRequest.create({ cancelRequest: WatchCancelRequest.create({ watchId: record.id }) }));
  }

  requestProgress(): void {
    this.call.write(WatchRequest.create({ progressRequest: WatchProgressRequest.create() }));
  }

  private onResponse(response: WatchResponse): void {
    const revision = response.header?.revision ?? 0;
    if (response.created) {
      const record = this.awaitingCreated.shift();
      if (record === undefined) return void this.problems.push('created response without a create request');
      record.id = response.watchId;
      this.byId.set(response.watchId, record);
      if (record.startRevision === 0) record.startRevision = revision + 1;
      return;
    }
    if (response.watchId === -1) {
      this.progressRevision = Math.max(this.progressRevision, revision);
      for (const record of this.byId.values()) {
        if (record.canceledByUs || record.compactRevision !== 0) continue;
        record.bookmarks.push({ revision, eventCount: record.responses.reduce((n, r) => n + r.events.length, 0) });
      }
      return;
    }
    const record = this.byId.get(response.watchId);
    if (record === undefined) {
      if (!this.retired.has(response.watchId)) this.problems.push(`response for unknown watch id ${response.watchId}`);
      return;
    }
    if (response.canceled) {
      if (response.compactRevision !== 0) record.compactRevision = response.compactRevision;
      this.byId.delete(response.watchId);
      this.retired.add(response.watchId);
      return;
    }
    if (!record.canceledByUs) record.responses.push(response);
  }
}

const pick = <T>(items: readonly T[]): T => items[random.intBelow(items.length)]!;
const valueOf = (n: number): string => `${n}:${'v'.repeat(random.intBelow(1500))}`;

/** One random write; returns what it committed (undefined when it changed nothing). */
async function randomWrite(kv: KvClient, n: number): Promise<Committed | undefined> {
  const roll = random.intBelow(10);
  if (roll < 5) {
    const key = pick(KEYS);
    const value = valueOf(n);
    const request = PutRequest.create({ key: enc(key), value: enc(value) });
    const response = await call<PutResponse>((cb) => kv.put(request, cb));
    return { revision: response.header!.revision, changes: [{ key, value }] };
  }
  if (roll < 7) {
    const [key, rangeEnd] = random.intBelow(2) === 0 ? [pick(KEYS), ''] : pick(RANGES.slice(2));
    const response = await call<DeleteRangeResponse>((cb) =>
      kv.deleteRange(DeleteRangeRequest.create({ key: enc(key), rangeEnd: enc(rangeEnd), prevKv: true }), cb));
    if (response.prevKvs.length === 0) return undefined;
    const changes = response.prevKvs.map((p) => ({ key: dec(p.key), value: undefined }));
    return { revision: response.header!.revision, changes };
  }
  // A txn over distinct keys: some puts, maybe one delete.
  const keys = [...KEYS].sort(() => random.float() - 0.5).slice(0, 2 + random.intBelow(3));
  const ops = keys.map((key, i) => (i === 0 && random.intBelow(2) === 0
    ? RequestOp.create({ requestDeleteRange: DeleteRangeRequest.create({ key: enc(key), prevKv: true }) })
    : RequestOp.create({ requestPut: PutRequest.create({ key: enc(key), value: enc(valueOf(n)) }) })));
  const response = await call<TxnResponse>((cb) => kv.txn(TxnRequest.create({ success: ops }), cb));
  const changes: Committed['changes'] = [];
  ops.forEach((op, i) => {
    if (op.requestPut !== undefined) changes.push({ key: dec(op.requestPut.key), value: dec(op.requestPut.value) });
    else for (const p of response.responses[i]!.responseDeleteRange!.prevKvs) {
      changes.push({ key: dec(p.key), value: undefined });
    }
  });
  return changes.length === 0 ? undefined : { revision: response.header!.revision, changes };
}

/** The model: expected events by revision, with kv fields and prev_kv computed by replay. */
function replay(committed: Committed[]): Map<number, Event[]> {
  committed.sort((a, b) => a.revision - b.revision);
  const live = new Map<string, KeyValue>();
  const history = new Map<number, Event[]>();
  let expectRevision = 2;
  for (const { revision, changes } of committed) {
    assert.equal(revision, expectRevision, `committed revisions must be contiguous (missing ${expectRevision})`);
    expectRevision++;
    const events: Event[] = [];
    for (const { key, value } of changes) {
      const prev = live.get(key);
      if (value === undefined) {
        assert.ok(prev !== undefined, `delete of a missing key ${key} at ${revision}`);
        live.delete(key);
        const kv = {
          key: enc(key), createRevision: 0, modRevision: revision, version: 0, value: new Uint8Array(0), lease: 0n,
        };
        events.push({ type: 1, kv, prevKv: prev });
      } else {
        const kv = { key: enc(key), createRevision: prev?.createRevision ?? revision, modRevision: revision,
          version: (prev?.version ?? 0) + 1, value: enc(value), lease: 0n };
        live.set(key, kv);
        events.push({ type: 0, kv, prevKv: prev });
      }
    }
    history.set(revision, events);
  }
  return history;
}

function inRange(range: readonly [string, string], key: string): boolean {
  const [start, end] = range;
  if (end === '') return key === start;
  return key >= start && (end === '\0' || key < end);
}

const show = (e: Event, prevKv: boolean): string => {
  const kv = e.kv!;
  const head = `${e.type === 0 ? 'PUT' : 'DEL'} ${dec(kv.key)}@${kv.modRevision}`;
  const body = e.type === 0 ? ` c${kv.createRevision} v${kv.version} ${dec(kv.value).slice(0, 8)}` : '';
  const prev = prevKv && e.prevKv !== undefined ? ` prev@${e.prevKv.modRevision}` : '';
  return head + body + prev;
};

/** Expected events of `record` for revisions in [from, to]. */
function expectedSlice(history: Map<number, Event[]>, record: WatcherRecord, from: number, to: number): string[] {
  const out: string[] = [];
  for (let revision = from; revision <= to; revision++) {
    for (const event of history.get(revision) ?? []) {
      if (!inRange(record.range, dec(event.kv!.key))) continue;
      if ((event.type === 0 && record.noPut) || (event.type === 1 && record.noDelete)) continue;
      out.push(show(event, record.prevKv));
    }
  }
  return out;
}

/** Checks one watcher against the model; returns a problem description or undefined. */
/**
 * As etcd, prev_kv of an event read from history is looked up at mod_revision - 1 and left out when that
 * revision is compacted by then: `received` may lack a prev the model has, for such events only.
 */
function withoutCompactedPrevs(received: string[], expected: string[], compacted: number): string[] {
  if (received.length !== expected.length) return received;
  return received.map((got, i) => {
    const want = expected[i]!;
    const match = / prev@\d+$/.exec(want);
    const modRevision = Number(/@(\d+)/.exec(want)?.[1] ?? 0);
    return match !== null && got === want.slice(0, match.index) && modRevision - 1 < compacted ? want : got;
  });
}

function checkWatcher(history: Map<number, Event[]>, record: WatcherRecord, finalRevision: number,
  compacted: number): string | undefined {
  const name = `watcher stream=${record.stream} id=${record.id} range=${JSON.stringify(record.range)} start=${record.startRevision}`;
  if (record.id === undefined) return `${name}: never created`;
  const seenRevisions = new Set<number>();
  let last = record.startRevision - 1;
  let covered = record.startRevision - 1;
  for (const response of record.responses) {
    const revisions = [...new Set(response.events.map((e) => e.kv!.modRevision))];
    for (const revision of revisions) {
      if (seenRevisions.has(revision)) return `${name}: revision ${revision} split over responses or duplicated`;
      if (revision <= last) return `${name}: revision ${revision} after ${last} (out of order)`;
      seenRevisions.add(revision);
      last = revision;
    }
    covered = Math.max(covered, response.header!.revision, last);
  }
  const received = record.responses.flatMap((r) => r.events.map((e) => show(e, record.prevKv)));
  let upTo = covered;
  if (record.compactRevision !== 0) {
    if (last + 1 >= record.compactRevision) return `${name}: canceled at compact ${record.compactRevision} but next was ${last + 1}`;
  } else if (!record.canceledByUs) {
    upTo = finalRevision;
  }
  const expected = expectedSlice(history, record, record.startRevision, upTo);
  if (JSON.stringify(withoutCompactedPrevs(received, expected, compacted)) !== JSON.stringify(expected)) {
    return `${name}: events differ from history [${record.startRevision}, ${upTo}]\n  expected ${expected.join(' | ')}` +
      `\n  received ${received.join(' | ')}`;
  }
  for (const mark of record.bookmarks) {
    const want = expectedSlice(history, record, record.startRevision, mark.revision).length;
    if (mark.eventCount < want) return `${name}: progress at ${mark.revision} came before ${want - mark.eventCount} event(s) <= it`;
  }
  return undefined;
}

test('watch guarantees hold under random writers, compactions, cancels and slow readers', { timeout: 120_000 }, async () => {
  assert.ok(server !== undefined, 'server did not start');
  const address = server.endpoint;
  const credentials = grpc.credentials.createInsecure();
  const KvCtor = grpc.makeGenericClientConstructor(KVService, 'KV') as unknown as new (a: string, c: grpc.ChannelCredentials) => KvClient;
  const WatchCtor = grpc.makeGenericClientConstructor(WatchService, 'Watch') as unknown as
    new (a: string, c: grpc.ChannelCredentials) => WatchClient;
  const kv = new KvCtor(address, credentials);
  const streams = Array.from({ length: STREAMS }, (_, i) => new StreamDriver(new WatchCtor(address, credentials), i));
  const committed: Committed[] = [];
  let latestRevision = 1;
  let compacted = 0;
  let done = false;
  const newWatcher = (stream: number, startRevision: number, base?: WatcherRecord): void => {
    const record: WatcherRecord = {
      stream, range: base?.range ?? pick(RANGES), startRevision, prevKv: base?.prevKv ?? random.intBelow(2) === 0,
      noPut: base?.noPut ?? random.intBelow(8) === 0, noDelete: base?.noDelete ?? random.intBelow(8) === 0,
      id: undefined, responses: [], compactRevision: 0, canceledByUs: false, bookmarks: [],
    };
    streams[stream]!.create(record);
  };
  for (let s = 0; s < STREAMS; s++) for (let i = 0; i < 4; i++) newWatcher(s, 0);

  let written = 0;
  const writer = async (): Promise<void> => {
    while (written < WRITES) {
      const n = written++;
      const result = await randomWrite(kv, n);
      if (result !== undefined) {
        committed.push(result);
        latestRevision = Math.max(latestRevision, result.revision);
      }
    }
  };
  const chaos = async (): Promise<void> => {
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, 20 + random.intBelow(60)));
      const roll = random.intBelow(10);
      const stream = random.intBelow(STREAMS);
      const driver = streams[stream]!;
      const active = driver.watchers.filter((w) => w.id !== undefined && !w.canceledByUs && w.compactRevision === 0);
      if (roll < 3 && active.length > 0) {
        // Cancel and resume from the last received revision + 1 (the resumable guarantee).
        const victim = pick(active);
        const lastEvent = victim.responses.flatMap((r) => r.events).at(-1);
        driver.cancel(victim);
        newWatcher(stream, lastEvent === undefined ? victim.startRevision : lastEvent.kv!.modRevision + 1, victim);
      } else if (roll < 5) {
        newWatcher(stream, 1 + random.intBelow(latestRevision + 2));
      } else if (roll < 7) {
        driver.requestProgress();
      } else if (roll < 8 && latestRevision - 5 > compacted) {
        const revision = compacted + 1 + random.intBelow(latestRevision - 5 - compacted);
        await call((cb) => kv.compact(CompactionRequest.create({ revision }), cb)).catch(() => undefined);
        compacted = Math.max(compacted, revision);
      } else if (stream === 0) {
        // Stream 0 reads slowly: stop reading for a while so the server's buffers fill.
        driver.call.pause();
        setTimeout(() => driver.call.resume(), 100 + random.intBelow(400));
      }
    }
  };
  const chaosDone = chaos();
  await Promise.all(Array.from({ length: WRITERS }, writer));
  done = true;
  await chaosDone;
  for (const driver of streams) driver.call.resume();
  // Wait until every stream reports progress at the final revision (all watchers caught up).
  const deadline = Date.now() + 30_000;
  while (streams.some((d) => d.progressRevision < latestRevision) && Date.now() < deadline) {
    for (const driver of streams) driver.requestProgress();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const history = replay(committed);
  const problems = streams.flatMap((d) => d.problems);
  for (const driver of streams) {
    assert.ok(driver.progressRevision >= latestRevision, `stream ${driver.index} never reported progress at ${latestRevision}`);
    for (const record of driver.watchers) {
      const problem = checkWatcher(history, record, latestRevision, compacted);
      if (problem !== undefined) problems.push(problem);
    }
  }
  const watchers = streams.reduce((n, d) => n + d.watchers.length, 0);
  const compactCancels = streams.flatMap((d) => d.watchers).filter((w) => w.compactRevision !== 0).length;
  console.log(`writes=${committed.length} revision=${latestRevision} compacted=${compacted} watchers=${watchers} ` +
    `compactCancels=${compactCancels} events=${streams.flatMap((d) => d.watchers).reduce((n, w) => n + w.responses.length, 0)}`);
  for (const driver of streams) driver.call.end();
  kv.close();
  assert.equal(problems.length, 0, `SEED=${seed}\n${problems.slice(0, 10).join('\n')}`);
});
