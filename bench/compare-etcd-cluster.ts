/**
 * tetcd vs etcd, both as N-member clusters on 127.0.0.1 (default 3), in interleaved short rounds
 * (tetcd, etcd, etcd, tetcd, ...) so that load drifts on a shared machine hit both alike.
 *
 *   npx tsx bench/compare-etcd-cluster.ts [--members 1|3|5] [--rounds N] [--warmup N] [--scale F]
 *                                         [--only tetcd|etcd]
 *
 * Both clusters run for the whole benchmark (the idle one costs little). Per round and server: put
 * (100 clients, 10 conns, all endpoints), put with 1 client on the leader, range --consistency l and s
 * (100 clients, all endpoints) of one preloaded key, range l with 1 client on the leader. Reported: the
 * median over rounds of throughput, 1-client p50, and server CPU per request (utime+stime of every
 * member's process tree, from /proc), with ratios tetcd/etcd. `--scale` multiplies the request counts.
 * Before the measured rounds each cluster runs `--warmup` (default 1) unrecorded rounds of the same steps:
 * a long-running member has its code optimized by V8 and its caches filled, and the first round would
 * otherwise measure tetcd's JIT warm-up (etcd gets the same warm-up).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBenchmark } from '../src/cli/benchmark/workloads.js';
import type { CommonOptions, WorkloadSpec } from '../src/cli/benchmark/workloads.js';
import { encodeKey } from '../src/cli/benchmark/keys.js';
import { latencyAtMs, requestsPerSecond } from '../src/cli/benchmark/report.js';
import {
  clusterCpuMs, leaderEndpoint, startCluster, stopCluster, type Cluster, type ServerKind,
} from './lib/clusters.js';

const KEY_SIZE_BYTES = 8;
const VALUE_SIZE_BYTES = 256;
const RANGE_KEY = encodeKey(42, KEY_SIZE_BYTES);
const PRELOAD_KEYS = 1_000;
const STEP_DEADLINE_MS = 60_000;

interface Args { members: number; rounds: number; warmup: number; scale: number; only: ServerKind | undefined }

function parseArgs(argv: string[]): Args {
  const args: Args = { members: 3, rounds: 3, warmup: 1, scale: 1, only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg === '--members' && next !== undefined) args.members = Number(argv[++i]);
    else if (arg === '--rounds' && next !== undefined) args.rounds = Number(argv[++i]);
    else if (arg === '--warmup' && next !== undefined) args.warmup = Number(argv[++i]);
    else if (arg === '--scale' && next !== undefined) args.scale = Number(argv[++i]);
    else if (arg === '--only' && (next === 'tetcd' || next === 'etcd')) args.only = argv[++i] as ServerKind;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (![1, 3, 5].includes(args.members)) throw new Error('--members must be 1, 3 or 5');
  if (!(args.rounds >= 1 && args.scale > 0)) throw new Error('bad --rounds or --scale');
  if (!(Number.isSafeInteger(args.warmup) && args.warmup >= 0)) throw new Error('bad --warmup');
  return args;
}

interface Step { label: string; spec: WorkloadSpec; clients: number; conns: number; total: number;
  leaderOnly: boolean }

const putSpec: WorkloadSpec = { kind: 'put', valueSizeBytes: VALUE_SIZE_BYTES,
  keyPlan: { keySizeBytes: KEY_SIZE_BYTES, keySpaceSize: 1, sequentialKeys: false } };
const rangeSpec = (consistency: 'l' | 's'): WorkloadSpec => ({ kind: 'range', key: RANGE_KEY, consistency, limit: 0 });

function steps(scale: number): Step[] {
  const n = (count: number): number => Math.max(1, Math.round(count * scale));
  return [
    { label: 'put (100 clients)', spec: putSpec, clients: 100, conns: 10, total: n(6_000), leaderOnly: false },
    { label: 'put (1 client)', spec: putSpec, clients: 1, conns: 1, total: n(400), leaderOnly: true },
    { label: 'range l (100 clients)', spec: rangeSpec('l'), clients: 100, conns: 10, total: n(10_000),
      leaderOnly: false },
    { label: 'range s (100 clients)', spec: rangeSpec('s'), clients: 100, conns: 10, total: n(10_000),
      leaderOnly: false },
    { label: 'range l (1 client)', spec: rangeSpec('l'), clients: 1, conns: 1, total: n(1_000), leaderOnly: true },
  ];
}

interface Sample { rps: number; p50Ms: number; p99Ms: number; cpuUsPerRequest: number; errors: number }

async function runStep(cluster: Cluster, leader: string, step: Step): Promise<Sample> {
  const endpoints = step.leaderOnly ? [leader] : cluster.members.map((m) => m.endpoint);
  const common: CommonOptions = { endpoints, conns: step.conns, clients: step.clients, total: step.total,
    ratePerSecond: 0, dialTimeoutMs: 5_000, deadlineMs: STEP_DEADLINE_MS };
  const cpuBeforeMs = clusterCpuMs(cluster);
  const result = await runBenchmark(common, step.spec);
  const cpuMs = clusterCpuMs(cluster) - cpuBeforeMs;
  const errors = [...result.errorCounts.values()].reduce((a, b) => a + b, 0);
  const requests = Math.max(1, result.latency.count + errors);
  return { rps: requestsPerSecond(result), p50Ms: latencyAtMs(result.latency, 50),
    p99Ms: latencyAtMs(result.latency, 99), cpuUsPerRequest: (cpuMs * 1000) / requests, errors };
}

async function preload(cluster: Cluster): Promise<void> {
  const spec: WorkloadSpec = { kind: 'put', valueSizeBytes: VALUE_SIZE_BYTES,
    keyPlan: { keySizeBytes: KEY_SIZE_BYTES, keySpaceSize: PRELOAD_KEYS, sequentialKeys: true } };
  await runBenchmark({ endpoints: cluster.members.map((m) => m.endpoint), conns: 10, clients: 50,
    total: PRELOAD_KEYS, ratePerSecond: 0, dialTimeoutMs: 5_000 }, spec);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(2));

function report(kinds: ServerKind[], allSteps: Step[], samples: Map<string, Sample[]>): string {
  const lines = ['| step | metric | tetcd | etcd | ratio tetcd/etcd | better |', '|---|---|---:|---:|---:|---|'];
  for (const step of allSteps) {
    const pick = (kind: ServerKind, f: (s: Sample) => number): number | undefined => {
      const list = samples.get(`${kind}/${step.label}`);
      return list === undefined || list.length === 0 ? undefined : median(list.map(f));
    };
    const rows: Array<[string, (s: Sample) => number, string]> = step.clients === 1
      ? [['p50 latency (ms)', (s) => s.p50Ms, 'lower'], ['server CPU per request (µs)', (s) => s.cpuUsPerRequest, 'lower']]
      : [['throughput (req/s)', (s) => s.rps, 'higher'], ['p99 latency (ms)', (s) => s.p99Ms, 'lower'],
        ['server CPU per request (µs)', (s) => s.cpuUsPerRequest, 'lower']];
    for (const [name, f, better] of rows) {
      const t = kinds.includes('tetcd') ? pick('tetcd', f) : undefined;
      const e = kinds.includes('etcd') ? pick('etcd', f) : undefined;
      const ratio = t !== undefined && e !== undefined && e > 0 ? (t / e).toFixed(2) : 'n/a';
      lines.push(`| ${step.label} | ${name} | ${t === undefined ? 'n/a' : fmt(t)} | ` +
        `${e === undefined ? 'n/a' : fmt(e)} | ${ratio} | ${better} |`);
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const kinds: ServerKind[] = args.only === undefined ? ['tetcd', 'etcd'] : [args.only];
  const scratch = mkdtempSync(join(tmpdir(), 'tetcd-cluster-bench-'));
  const clusters = new Map<ServerKind, Cluster>();
  const loadStart = loadavg()[0]!;
  try {
    for (const kind of kinds) clusters.set(kind, await startCluster(kind, args.members, scratch));
    for (const cluster of clusters.values()) await preload(cluster);
    const allSteps = steps(args.scale);
    const samples = new Map<string, Sample[]>();
    for (let round = 0; round < args.warmup; round++) {
      for (const kind of kinds) {
        const cluster = clusters.get(kind)!;
        const leader = await leaderEndpoint(cluster);
        for (const step of allSteps) await runStep(cluster, leader, step);
        console.error(`warm-up round ${round + 1} ${kind} done`);
      }
    }
    for (let round = 0; round < args.rounds; round++) {
      const order = round % 2 === 0 ? kinds : [...kinds].reverse();
      for (const kind of order) {
        const cluster = clusters.get(kind)!;
        const leader = await leaderEndpoint(cluster);
        for (const step of allSteps) {
          const sample = await runStep(cluster, leader, step);
          const key = `${kind}/${step.label}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          console.error(`round ${round + 1} ${kind} ${step.label}: ${sample.rps.toFixed(0)} req/s, p50 ` +
            `${sample.p50Ms.toFixed(2)} ms, p99 ${sample.p99Ms.toFixed(2)} ms, CPU ` +
            `${sample.cpuUsPerRequest.toFixed(0)} µs/req${sample.errors > 0 ? `, ${sample.errors} errors` : ''}`);
        }
      }
    }
    console.log(`${args.members}-member clusters, ${args.warmup} warm-up + ${args.rounds} interleaved rounds, ` +
      `scale ${args.scale}; ` +
      `${cpus().length} CPUs; 1-minute load average ${loadStart.toFixed(1)} at start, ` +
      `${loadavg()[0]!.toFixed(1)} at end; ${new Date().toISOString()}\n`);
    console.log(report(kinds, allSteps, samples));
  } finally {
    for (const cluster of clusters.values()) await stopCluster(cluster);
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack ?? error.message : error);
  process.exit(1);
});
