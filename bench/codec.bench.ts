// Codec micro-benchmark: tetcd's generated codec vs protobufjs (reflection types, whose encode/decode
// are code-generated at load time). Run: npx tsx bench/codec.bench.ts   (BENCH_MS=<ms per case>)
import protobuf from 'protobufjs';
import { KeyValue } from '../src/proto/gen/mvccpb.js';
import { PutRequest, RangeResponse, ResponseHeader } from '../src/proto/gen/etcdserverpb.js';
import type { MessageCodec } from '../src/proto/runtime.js';
import { loadSchema } from '../src/proto/testing/schema.js';
import { loadPbjsRoot, toPbjs } from '../src/proto/testing/pbjs.js';

const CASE_MS = Number(process.env.BENCH_MS ?? 1000);
const WARMUP_MS = Math.min(CASE_MS, 300);
const ROUNDS = 10;

function bytesOf(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

function keyValue(i: number): KeyValue {
  return KeyValue.create({
    key: new TextEncoder().encode(`/registry/pods/default/pod-${String(i).padStart(6, '0')}`),
    value: bytesOf(256, i & 0xff), createRevision: 1000 + i, modRevision: 5000 + i, version: 3, lease: 0n,
  });
}

/**
 * Calls `fn` repeatedly for ~`ms` of this process's CPU time and returns operations per CPU-second.
 * CPU time rather than wall time, so time the machine spends on other processes does not count.
 */
function measure(fn: () => unknown, ms: number): number {
  let sink: unknown;
  const start = process.cpuUsage();
  let ops = 0;
  let elapsedUs = 0;
  while (elapsedUs < ms * 1000) {
    for (let i = 0; i < 50; i++) sink = fn();
    ops += 50;
    const used = process.cpuUsage(start);
    elapsedUs = used.user + used.system;
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return (ops / elapsedUs) * 1e6;
}

/**
 * Alternates short rounds of the two contenders and keeps each one's best round, so a noisy (shared)
 * machine penalises both alike.
 */
function compare(ours: () => unknown, theirs: () => unknown): [number, number] {
  const roundMs = CASE_MS / ROUNDS;
  let best: [number, number] = [0, 0];
  for (let round = 0; round < ROUNDS; round++) {
    best = [Math.max(best[0], measure(ours, roundMs)), Math.max(best[1], measure(theirs, roundMs))];
  }
  return best;
}

interface Row { name: string; ours: number; pbjs: number }

function run<T>(name: string, codec: MessageCodec<T>, type: protobuf.Type, message: T, pbjsMessage: object): Row[] {
  const ourBytes = codec.encode(message);
  const theirBytes = type.encode(pbjsMessage).finish();
  if (Buffer.compare(Buffer.from(ourBytes), Buffer.from(theirBytes)) !== 0) throw new Error(`${name}: bytes differ`);
  const pairs: [string, () => unknown, () => unknown][] = [
    ['encode', () => codec.encode(message), () => type.encode(pbjsMessage).finish()],
    ['decode', () => codec.decode(ourBytes), () => type.decode(theirBytes)],
  ];
  const rows: Row[] = [];
  for (const [op, ours, theirs] of pairs) {
    measure(ours, WARMUP_MS);
    measure(theirs, WARMUP_MS);
    const [oursOps, pbjsOps] = compare(ours, theirs);
    rows.push({ name: `${name} ${op} (${ourBytes.length} B)`, ours: oursOps, pbjs: pbjsOps });
  }
  return rows;
}

function main(): void {
  const schema = loadSchema();
  const root = loadPbjsRoot();
  const put = PutRequest.create({ key: bytesOf(8, 0x6b), value: bytesOf(256, 0x76) });
  const kv = keyValue(1);
  const range = RangeResponse.create({
    header: ResponseHeader.create({ clusterId: 0x8e9e05c52164694dn, memberId: 0x1234n, revision: 123456, raftTerm: 5 }),
    kvs: Array.from({ length: 100 }, (_, i) => keyValue(i)), count: 100,
  });
  const pb = (name: string, message: object): object =>
    toPbjs(schema, name, message as unknown as Record<string, unknown>);
  const rows = [
    ...run('PutRequest', PutRequest, root.lookupType('etcdserverpb.PutRequest'), put, pb('etcdserverpb.PutRequest', put)),
    ...run('KeyValue', KeyValue, root.lookupType('mvccpb.KeyValue'), kv, pb('mvccpb.KeyValue', kv)),
    ...run('RangeResponse x100', RangeResponse, root.lookupType('etcdserverpb.RangeResponse'), range,
      pb('etcdserverpb.RangeResponse', range)),
  ];
  // The aliasing decision: a bytes field as a view vs as a copy (256-byte value inside a 30 KB input).
  const input = RangeResponse.encode(range);
  const [view, copy] = compare(() => new Uint8Array(input.buffer, input.byteOffset + 1000, 256),
    () => input.slice(1000, 1256));
  rows.push({ name: 'bytes field: view (tetcd) vs copy, 256 B', ours: view, pbjs: copy });
  console.log(`node ${process.version}, ${CASE_MS} ms CPU per contender and case, best of ${ROUNDS} rounds; ops per CPU-second`);
  console.log('| case | tetcd ops/s | protobufjs ops/s | tetcd / protobufjs |');
  console.log('|---|---:|---:|---:|');
  for (const row of rows) {
    console.log(`| ${row.name} | ${Math.round(row.ours).toLocaleString('en-US')} | ` +
      `${Math.round(row.pbjs).toLocaleString('en-US')} | ${(row.ours / row.pbjs).toFixed(2)}x |`);
  }
}

main();
