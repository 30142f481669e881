/**
 * tetcd vs etcd on this machine, single member each, same client and workloads.
 *
 *   npx tsx bench/compare-etcd.ts [--quick] [--candidate tetcd|etcd] [--no-write] [--load-keys N]
 *     [--step-seconds N] [--load-seconds N]
 *
 * `--step-seconds N` (default 120) cuts each workload step short after N s and `--load-seconds N`
 * (default 900) the key load, so a slow server still finishes; cut rows are marked in the table.
 *
 * For each server in turn (never both at once, so they do not compete for CPU): start it with a fresh
 * temp data dir on free 127.0.0.1 ports, wait until a put succeeds, run the workloads below with the
 * `tetcd benchmark` code (src/cli/benchmark), sample the server's RSS from /proc, then (full mode)
 * load LOAD_KEYS keys and read RSS again, then stop it. Prints a markdown table and (unless
 * --no-write) replaces the "## Single member: tetcd benchmark vs etcd" section of docs/performance.md.
 * `--candidate etcd` benchmarks etcd against itself, to check the harness.
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { sampleProcessTree, stopChild } from './lib/proc-tree.js';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdClient } from '../src/client/index.js';
import { runBenchmark } from '../src/cli/benchmark/workloads.js';
import type { CommonOptions, WorkloadSpec } from '../src/cli/benchmark/workloads.js';
import { encodeKey } from '../src/cli/benchmark/keys.js';
import type { KeyPlan } from '../src/cli/benchmark/keys.js';
import { requestsPerSecond, latencyAtMs } from '../src/cli/benchmark/report.js';
import type { BenchmarkResult } from '../src/cli/benchmark/report.js';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const ETCD_BIN = '/usr/bin/etcd';
const TETCD_BIN = join(ROOT, 'bin/tetcd');
const DOC_PATH = join(ROOT, 'docs/performance.md');
const SECTION_HEADING = '## Single member: tetcd benchmark vs etcd';
const READY_TIMEOUT_MS = 60_000;
const RSS_SAMPLE_INTERVAL_MS = 200;
/** A workload step that has not finished by then is cut short (its row says so); --step-seconds. */
const STEP_DEADLINE_SECONDS_DEFAULT = 120;
/** The same for the key load; --load-seconds. */
const LOAD_DEADLINE_SECONDS_DEFAULT = 900;
const LOAD_KEYS_DEFAULT = 1_000_000;
const LOAD_KEYS_PER_TXN = 100;
const VALUE_SIZE_BYTES = 256;
const KEY_SIZE_BYTES = 8;

type ServerKind = 'etcd' | 'tetcd';

interface Args { quick: boolean; candidate: ServerKind; write: boolean; loadKeys: number; stepSeconds: number;
  loadSeconds: number }

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, candidate: 'tetcd', write: true, loadKeys: LOAD_KEYS_DEFAULT,
    stepSeconds: STEP_DEADLINE_SECONDS_DEFAULT, loadSeconds: LOAD_DEADLINE_SECONDS_DEFAULT };
  const numberAfter = (i: number): number | undefined =>
    /^\d+$/.test(argv[i + 1] ?? '') && Number(argv[i + 1]) > 0 ? Number(argv[i + 1]) : undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') args.quick = true;
    else if (arg === '--full') args.quick = false;
    else if (arg === '--no-write') args.write = false;
    else if (arg === '--candidate' && (argv[i + 1] === 'etcd' || argv[i + 1] === 'tetcd')) {
      args.candidate = argv[++i] as ServerKind;
    } else if (arg === '--load-keys' && numberAfter(i) !== undefined) args.loadKeys = numberAfter(i++)!;
    else if (arg === '--step-seconds' && numberAfter(i) !== undefined) args.stepSeconds = numberAfter(i++)!;
    else if (arg === '--load-seconds' && numberAfter(i) !== undefined) args.loadSeconds = numberAfter(i++)!;
    else throw new Error(`unknown argument ${arg}`);
  }
  return args;
}

/** One measured row of the table. `better` says which direction wins. */
interface Metric { name: string; unit: string; better: 'higher' | 'lower'; value: number | undefined; note?: string }

interface Step { label: string; spec: WorkloadSpec; common: Omit<CommonOptions, 'endpoints'>;
  /** When set, a row "<cpuMetric> (µs)" with the server's CPU time per request. */
  cpuMetric?: string;
  metrics: Array<{ name: string; unit: string; better: 'higher' | 'lower'; pick: (r: BenchmarkResult) => number }> }

const keyPlan = (sequentialKeys: boolean, keySpaceSize: number): KeyPlan =>
  ({ keySizeBytes: KEY_SIZE_BYTES, keySpaceSize, sequentialKeys });
const put = (sequential: boolean, keySpaceSize: number): WorkloadSpec =>
  ({ kind: 'put', valueSizeBytes: VALUE_SIZE_BYTES, keyPlan: keyPlan(sequential, keySpaceSize) });
const rps = (r: BenchmarkResult): number => requestsPerSecond(r);
const pMs = (p: number) => (r: BenchmarkResult): number => latencyAtMs(r.latency, p);
const many = { conns: 10, clients: 100, ratePerSecond: 0, dialTimeoutMs: 5_000 };
const single = { ...many, conns: 1, clients: 1 };
/** Keys loaded before the range steps; the range steps read one of them. */
const PRELOAD_KEYS = 10_000;
const RANGE_KEY = encodeKey(42, KEY_SIZE_BYTES);

/** The workloads, in the order they run. */
function steps(): Step[] {
  return [
    { label: 'put', spec: put(false, 1), common: { ...many, total: 50_000 }, cpuMetric: 'server CPU per put', metrics: [
      { name: 'put throughput (100 clients, 10 conns, 256 B values)', unit: 'req/s', better: 'higher', pick: rps },
      { name: 'put p99 latency (100 clients)', unit: 'ms', better: 'lower', pick: pMs(99) }] },
    { label: 'put-1', spec: put(false, 1), common: { ...single, total: 2_000 }, metrics: [
      { name: 'put p50 latency (1 client, 1 conn)', unit: 'ms', better: 'lower', pick: pMs(50) },
      { name: 'put throughput (1 client)', unit: 'req/s', better: 'higher', pick: rps }] },
    { label: 'preload', spec: put(true, PRELOAD_KEYS), common: { ...many, total: PRELOAD_KEYS }, metrics: [] },
    { label: 'range-l', spec: { kind: 'range', key: RANGE_KEY, consistency: 'l', limit: 0 },
      common: { ...many, total: 50_000 }, cpuMetric: 'server CPU per linearizable range', metrics: [
        { name: 'range (linearizable) throughput (100 clients)', unit: 'req/s', better: 'higher', pick: rps },
        { name: 'range (linearizable) p99 latency', unit: 'ms', better: 'lower', pick: pMs(99) }] },
    { label: 'range-s', spec: { kind: 'range', key: RANGE_KEY, consistency: 's', limit: 0 },
      common: { ...many, total: 50_000 }, cpuMetric: 'server CPU per serializable range', metrics: [
        { name: 'range (serializable) throughput (100 clients)', unit: 'req/s', better: 'higher', pick: rps },
        { name: 'range (serializable) p99 latency', unit: 'ms', better: 'lower', pick: pMs(99) }] },
    { label: 'range-l-1', spec: { kind: 'range', key: RANGE_KEY, consistency: 'l', limit: 0 },
      common: { ...single, total: 5_000 }, metrics: [
        { name: 'range (linearizable) p50 latency (1 client)', unit: 'ms', better: 'lower', pick: pMs(50) }] },
    { label: 'txn-put', spec: { kind: 'txn-put', keyPlan: keyPlan(false, 100_000), valueSizeBytes: VALUE_SIZE_BYTES,
      txnOps: 1 }, common: { ...many, total: 20_000 }, cpuMetric: 'server CPU per txn-put', metrics: [
        { name: 'txn-put throughput (100 clients, random keys)', unit: 'req/s', better: 'higher', pick: rps }] },
  ];
}

/** A free 127.0.0.1 TCP port (bind to 0, read it, release it). */
async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolvePort(port) : reject(new Error('no port'))));
    });
  });
}

interface RunningServer { kind: ServerKind; child: ChildProcess; endpoint: string; dataDir: string; logPath: string }

const children = new Set<ChildProcess>();
process.on('exit', () => { for (const child of children) child.kill('SIGKILL'); });

let serverSerial = 0;

async function startServer(kind: ServerKind, scratch: string): Promise<RunningServer> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  serverSerial++; // a fresh data dir every time, even when the same kind runs twice
  const dataDir = join(scratch, `${kind}-${serverSerial}-data`);
  const logPath = join(scratch, `${kind}-${serverSerial}.log`);
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const flags = [`--name=bench`, `--data-dir=${dataDir}`, `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`, `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=bench=${peerUrl}`];
  const [command, args] = kind === 'etcd' ? [ETCD_BIN, flags] : [process.execPath, [TETCD_BIN, 'server', ...flags]];
  const log = openSync(logPath, 'a');
  const child = spawn(command, args, { stdio: ['ignore', log, log] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const server = { kind, child, endpoint: `127.0.0.1:${clientPort}`, dataDir, logPath };
  await waitReady(server);
  return server;
}

/** Start attempts: the tetcd build may be replacing dist/ at the moment we start. */
const START_ATTEMPTS = 3;
const START_RETRY_DELAY_MS = 20_000;

async function startServerWithRetries(kind: ServerKind, scratch: string): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServer(kind, scratch);
    } catch (error) {
      if (attempt >= START_ATTEMPTS) throw error;
      console.error(`[${kind}] start attempt ${attempt} failed, retrying in ${START_RETRY_DELAY_MS} ms: ` +
        `${String(error).slice(0, 300)}`);
      await sleep(START_RETRY_DELAY_MS);
    }
  }
}

function logTail(path: string): string {
  try { return readFileSync(path, 'utf8').split('\n').slice(-30).join('\n'); } catch { return '(no log)'; }
}

async function waitReady(server: RunningServer): Promise<void> {
  const client = new EtcdClient({ endpoints: [server.endpoint], requestTimeoutMs: 1_000 });
  const startMs = performance.now();
  try {
    for (;;) {
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        throw new Error(`${server.kind} exited during start-up; log tail:\n${logTail(server.logPath)}`);
      }
      try {
        await client.put({ key: new TextEncoder().encode('bench-ready'), value: new Uint8Array(0) });
        return;
      } catch (error) {
        if (performance.now() - startMs > READY_TIMEOUT_MS) {
          throw new Error(`${server.kind} not ready after ${READY_TIMEOUT_MS} ms (${String(error)}); log tail:\n` +
            logTail(server.logPath));
        }
        await sleep(200);
      }
    }
  } finally {
    client.close();
  }
}

async function stopServer(server: RunningServer): Promise<void> {
  await stopChild(server.child);
}

/** RSS and CPU time of `pid` plus all its descendants (a launcher may fork the real server). */
function sampleTree(pid: number): { rssBytes: number; cpuMs: number } {
  return sampleProcessTree([pid]);
}

function treeRssBytes(pid: number): number {
  return sampleTree(pid).rssBytes;
}

/** Samples RSS every RSS_SAMPLE_INTERVAL_MS and keeps the peak. */
class RssSampler {
  peakBytes = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_INTERVAL_MS);
  }
  sample(): number {
    const bytes = treeRssBytes(this.pid);
    this.peakBytes = Math.max(this.peakBytes, bytes);
    return bytes;
  }
  stop(): void { clearInterval(this.timer); }
}

const MIB = 1024 * 1024;
/** One-minute load averages around each server's run (other work on the machine skews results). */
const loadNotes: string[] = [];

/** Runs one step; returns its metric rows (plus a server-CPU row when the step asks for one). */
async function runStep(kind: ServerKind, server: RunningServer, step: Step): Promise<Metric[]> {
  const cpuBeforeMs = sampleTree(server.child.pid!).cpuMs;
  const result = await runBenchmark({ ...step.common, endpoints: [server.endpoint] }, step.spec);
  const cpuUsedMs = sampleTree(server.child.pid!).cpuMs - cpuBeforeMs;
  const failed = [...result.errorCounts.values()].reduce((a, b) => a + b, 0);
  const cut = result.latency.count + failed < step.common.total;
  console.error(`[${kind}] ${step.label}: ${requestsPerSecond(result).toFixed(0)} req/s, ` +
    `p50 ${latencyAtMs(result.latency, 50).toFixed(2)} ms, p99 ${latencyAtMs(result.latency, 99).toFixed(2)} ms,` +
    ` server CPU ${cpuUsedMs.toFixed(0)} ms, ${failed} errors${cut ? ' (cut short at deadline)' : ''}`);
  if (failed > 0) console.error(`[${kind}] ${step.label} errors: ${JSON.stringify([...result.errorCounts])}`);
  const problems = [...(failed > 0 ? [`${failed} errors`] : []), ...(cut ? ['cut short'] : [])];
  const note = problems.length === 0 ? undefined : `${kind}: ${problems.join(', ')}`;
  const withNote = note === undefined ? {} : { note };
  const rows: Metric[] = step.metrics.map((m) => ({ name: m.name, unit: m.unit, better: m.better,
    value: m.pick(result), ...withNote }));
  if (step.cpuMetric !== undefined) {
    const requests = result.latency.count + failed;
    rows.push({ name: step.cpuMetric, unit: 'µs', better: 'lower',
      value: requests === 0 ? undefined : (cpuUsedMs * 1000) / requests, ...withNote });
  }
  return rows;
}

/** Runs every step plus the memory probes against one server; returns metrics in table order. */
async function measure(kind: ServerKind, args: Args, scratch: string): Promise<Metric[]> {
  const loadBefore = loadavg()[0]!;
  const server = await startServerWithRetries(kind, scratch);
  const pid = server.child.pid!;
  const sampler = new RssSampler(pid);
  const metrics: Metric[] = [{ name: 'RSS after start-up (idle)', unit: 'MiB', better: 'lower',
    value: sampler.sample() / MIB }];
  try {
    for (const step of steps()) {
      const common = { ...step.common, deadlineMs: args.stepSeconds * 1000 };
      metrics.push(...await runStep(kind, server, { ...step, common }));
    }
    metrics.push({ name: 'peak RSS during the workloads above', unit: 'MiB', better: 'lower',
      value: sampler.peakBytes / MIB });
    if (!args.quick) metrics.push(...await loadKeys(kind, server, args.loadKeys, args.loadSeconds));
  } finally {
    sampler.stop();
    await stopServer(server);
    loadNotes.push(`${kind}: ${loadBefore.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`);
  }
  return metrics;
}

/**
 * Loads `count` distinct keys (8-byte keys, 256-byte values) as txns of LOAD_KEYS_PER_TXN puts (so a
 * million keys take 10,000 requests, not 1,000,000) and reports keys/s and RSS after.
 */
async function loadKeys(kind: ServerKind, server: RunningServer, count: number,
  deadlineSeconds: number): Promise<Metric[]> {
  const txns = Math.ceil(count / LOAD_KEYS_PER_TXN);
  const common = { ...many, total: txns, endpoints: [server.endpoint], deadlineMs: deadlineSeconds * 1000 };
  const result = await runBenchmark(common, { kind: 'txn-put', keyPlan: keyPlan(true, txns * LOAD_KEYS_PER_TXN),
    valueSizeBytes: VALUE_SIZE_BYTES, txnOps: LOAD_KEYS_PER_TXN });
  const failed = [...result.errorCounts.values()].reduce((a, b) => a + b, 0);
  await sleep(2_000);
  const rssBytes = treeRssBytes(server.child.pid!);
  const keysWritten = result.latency.count * LOAD_KEYS_PER_TXN;
  const keysPerSecond = (keysWritten * 1000) / result.elapsedMs;
  console.error(`[${kind}] load ${count} keys: ${keysPerSecond.toFixed(0)} keys/s, ` +
    `${keysWritten} written, ${failed} failed txns, RSS ${(rssBytes / MIB).toFixed(0)} MiB`);
  if (failed > 0) console.error(`[${kind}] load errors: ${JSON.stringify([...result.errorCounts])}`);
  const note = keysWritten < count ? `${kind}: only ${keysWritten} keys written` : undefined;
  const withNote = note === undefined ? {} : { note };
  return [
    { name: `load ${count.toLocaleString('en-US')} keys (txns of ${LOAD_KEYS_PER_TXN} puts, 100 clients)`,
      unit: 'keys/s', better: 'higher', value: keysPerSecond, ...withNote },
    { name: `RSS after loading ${count.toLocaleString('en-US')} keys`, unit: 'MiB', better: 'lower',
      value: rssBytes / MIB, ...withNote },
  ];
}

function formatValue(value: number | undefined): string {
  if (value === undefined) return 'n/a';
  return value >= 100 ? value.toFixed(0) : value.toFixed(2);
}

/** Markdown table: candidate, baseline, ratio candidate/baseline, and which way is better. */
function table(candidate: ServerKind, rows: Metric[], baseline: Metric[]): string {
  const head = `| metric | ${candidate} | etcd | ratio ${candidate}/etcd | better |\n|---|---:|---:|---:|---|`;
  const lines = rows.map((row, i) => {
    const base = baseline[i];
    const ratio = row.value !== undefined && base?.value !== undefined && base.value > 0
      ? (row.value / base.value).toFixed(2) : 'n/a';
    const notes = [row.note, base?.note].filter((n) => n !== undefined).join('; ');
    const name = `${row.name} (${row.unit})${notes === '' ? '' : ` — ${notes}`}`;
    return `| ${name} | ${formatValue(row.value)} | ${formatValue(base?.value)} | ${ratio} | ${row.better} |`;
  });
  return [head, ...lines].join('\n');
}

function versionOf(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: 10_000 }).split('\n')[0]!.trim();
  } catch {
    return 'unknown';
  }
}

function environment(candidate: ServerKind): string {
  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  const tetcdVersion = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
  const gitCommit = versionOf('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpus().length} CPUs (nproc; ${cpuModel}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB memory, ` +
      `${versionOf('uname', ['-sr'])}`,
    `- etcd: ${versionOf(ETCD_BIN, ['--version'])} (${ETCD_BIN})`,
    `- ${candidate === 'tetcd' ? `tetcd: ${tetcdVersion} (git ${gitCommit})` : 'candidate: etcd (harness self-check)'}` +
      `, Node ${process.version}`,
    `- 1-minute load average (nproc = ${cpus().length}): ${loadNotes.join('; ')}`,
  ].join('\n');
}

function section(args: Args, commandLine: string, body: string): string {
  return `${SECTION_HEADING}

Measured by \`${commandLine}\` (bench/compare-etcd.ts). Each server runs alone as a single member with a fresh
data dir on 127.0.0.1; the load comes from \`tetcd benchmark\`'s code (src/cli/benchmark, one Node process on
the same machine, so client and server share the CPUs). Workloads, in order: put 50,000 × (8 B key, 256 B value,
one key rewritten) with 100 clients over 10 connections; put 2,000 with 1 client; preload 10,000 keys; range one
key 50,000 times, linearizable and serializable, 100 clients; range 5,000 times with 1 client; txn-put 20,000
(one put per txn, random keys out of 100,000) with 100 clients${args.quick ? '' : `; then load ${args.loadKeys.toLocaleString('en-US')} distinct keys (8 B keys, 256 B values) as txns of ${LOAD_KEYS_PER_TXN} puts from 100 clients and read RSS 2 s later`}.
A step still running after ${args.stepSeconds} s (the key load: ${args.loadSeconds} s) is cut short and
marked; its rates and percentiles cover the requests done by then. RSS is VmRSS from /proc/<pid>/status and
server CPU is utime + stime from /proc/<pid>/stat, both summed over the server's process tree.

The ratio column is ${args.candidate}/etcd. For throughput (req/s) higher is better, so a ratio above 1 favours
${args.candidate}; for latency (ms) and memory (MiB) lower is better, so a ratio below 1 favours ${args.candidate}.

${body}

Caveats: the machine has ${cpus().length} CPUs shared by the server, the Node load generator and whatever else
runs (see the load average above), so absolute numbers sit far below etcd's published figures and move by tens
of percent between runs (an etcd-vs-etcd run of this harness under similar load gave ratios between 0.7 and 1.3).
The grpc-js client spends roughly 0.5 ms of CPU per request, more than etcd spends serving one, so the
100-client rows are partly client-bound; the server-CPU rows (µs of server CPU time per request) are the
comparison least affected by contention.
`;
}

/** Replaces (or appends) our section of docs/performance.md, keeping every other section. */
function writeSection(text: string): void {
  const current = existsSync(DOC_PATH) ? readFileSync(DOC_PATH, 'utf8') : '# Performance\n\n';
  const start = current.indexOf(SECTION_HEADING);
  if (start < 0) {
    writeFileSync(DOC_PATH, `${current.trimEnd()}\n\n${text}`);
    return;
  }
  const after = current.indexOf('\n## ', start + SECTION_HEADING.length);
  const rest = after < 0 ? '' : current.slice(after + 1);
  writeFileSync(DOC_PATH, `${current.slice(0, start)}${text}${rest === '' ? '' : `\n${rest}`}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(ETCD_BIN)) throw new Error(`${ETCD_BIN} is missing (apt-get install etcd-server)`);
  const commandLine = ['npx tsx bench/compare-etcd.ts', ...process.argv.slice(2)].join(' ');
  const scratch = mkdtempSync(join(tmpdir(), 'tetcd-compare-'));
  try {
    // The candidate runs first so a candidate that cannot start fails the run before etcd's turn.
    const candidate = await measure(args.candidate, args, scratch);
    const baseline = await measure('etcd', args, scratch);
    const body = `${environment(args.candidate)}\n\n${table(args.candidate, candidate, baseline)}`;
    const text = section(args, commandLine, body);
    console.log(text);
    if (args.write) {
      writeSection(text);
      console.error(`wrote ${DOC_PATH}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack ?? error.message : error);
  process.exit(1);
});
