/**
 * `check datascale [--load s|m|l|xl] [--prefix P] [--auto-compact] [--auto-defrag]`, as etcdctl 3.4:
 * reads process_resident_memory_bytes from the first endpoint's /metrics, puts the load's number of
 * 1 KiB key-values (512-byte random keys, 512-byte values) from its number of concurrent clients with
 * a progress bar, reads the metric again, deletes the prefix and prints the approximate memory used.
 * The key count can be lowered with TETCDCTL_CHECK_DATASCALE_KEYS (tests).
 */
import { request } from 'node:http';
import { CONNS_MAX } from '../../../client/index.js';
import type { CtlCommand, RunContext } from '../command.js';
import { connect } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import { cleanUp, LatencyReport, loadModel, printErrors, randomKey, requireEmptyPrefix, runPutWorkers,
  CLEANUP_TIMEOUT_MS } from './check-load.js';
import { checkFlags } from './check-perf.js';
import { ProgressBar, terminalColumns } from './check-progress.js';

/** Environment variable overriding the load's key count (whole number ≥ 1; for tests). */
export const DATASCALE_KEYS_ENV = 'TETCDCTL_CHECK_DATASCALE_KEYS';

interface ScaleLoad { keys: number; kvSizeBytes: number; clients: number }

const SCALE_LOADS: Readonly<Record<string, ScaleLoad>> = {
  s: { keys: 10_000, kvSizeBytes: 1024, clients: 50 },
  m: { keys: 100_000, kvSizeBytes: 1024, clients: 200 },
  l: { keys: 1_000_000, kvSizeBytes: 1024, clients: 500 },
  xl: { keys: 3_000_000, kvSizeBytes: 1024, clients: 1000 },
};
const KEY_SIZE_BYTES = 512;
const VALUE_SIZE_BYTES = 512;
const BYTES_PER_MB = 1024 * 1024;
const METRIC = 'process_resident_memory_bytes';
const METRICS_TIMEOUT_MS = 30_000;

function keyCount(load: ScaleLoad, env: NodeJS.ProcessEnv = process.env): number {
  const text = env[DATASCALE_KEYS_ENV];
  if (text === undefined || text === '') return load.keys;
  const keys = Number(text);
  if (!Number.isSafeInteger(keys) || keys < 1) {
    throw new CtlExit(ExitCode.BAD_ARGS, `invalid ${DATASCALE_KEYS_ENV} ${JSON.stringify(text)} (a count ≥ 1)`);
  }
  return keys;
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: METRICS_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => { resolve(Buffer.concat(chunks).toString('utf8')); });
      res.on('error', reject);
    });
    req.on('timeout', () => { req.destroy(new Error('timeout')); });
    req.on('error', reject);
    req.end();
  });
}

/** Go's net error text for a failed dial (the common cases). */
function fetchErrorText(url: string, error: unknown): string {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  const where = e.address !== undefined ? `${e.address}:${e.port ?? ''}` : new URL(url).host;
  if (e.code === 'ECONNREFUSED') return `Get "${url}": dial tcp ${where}: connect: connection refused`;
  return `Get "${url}": ${e.message}`;
}

/**
 * process_resident_memory_bytes of `endpoint` (etcdctl's endpointMemoryMetrics: http:// is assumed
 * unless the endpoint starts with it). Prints etcdctl's diagnostic and resolves 0 on failure.
 */
export async function residentMemoryBytes(ctx: RunContext, endpoint: string): Promise<number> {
  const url = `${endpoint.startsWith('http://') ? endpoint : `http://${endpoint}`}/metrics`;
  let body: string;
  try {
    body = await httpGet(url);
  } catch (error) {
    ctx.out.stdout(`fetch error: ${fetchErrorText(url, error)}\n`);
    return 0;
  }
  const line = body.split('\n').find((l) => l.startsWith(METRIC));
  const text = line?.slice(METRIC.length).trim() ?? '';
  if (text === '') {
    ctx.out.stdout(`could not find: ${METRIC}\n`);
    return 0;
  }
  const value = Number(text);
  if (Number.isNaN(value)) {
    ctx.out.stdout(`parse error: strconv.ParseFloat: parsing "${text}": invalid syntax\n`);
    return 0;
  }
  return value;
}

function memoryFailure(ctx: RunContext, when: 'before' | 'after'): CtlExit {
  ctx.out.stdout(`FAIL: Could not read ${METRIC} ${when} the put operations.\n`);
  return new CtlExit(ExitCode.ERROR, null);
}

async function putAll(ctx: RunContext, client: Awaited<ReturnType<typeof connect>>, load: ScaleLoad,
  keys: number, prefix: string): Promise<LatencyReport> {
  const prefixBytes = new TextEncoder().encode(prefix);
  const value = new Uint8Array(VALUE_SIZE_BYTES);
  const report = new LatencyReport();
  const bar = new ProgressBar(keys, (t) => { ctx.out.stdout(t); }, terminalColumns());
  bar.start();
  let issued = 0;
  const next = (): Promise<{ key: Uint8Array; value: Uint8Array } | undefined> =>
    Promise.resolve(issued++ < keys ? { key: randomKey(prefixBytes, KEY_SIZE_BYTES), value } : undefined);
  await runPutWorkers(client, load.clients, report, next, () => { bar.add(1); });
  bar.finish();
  return report;
}

async function runDatascale(ctx: RunContext): Promise<number> {
  const load = SCALE_LOADS[loadModel(ctx.flags.string('load'))]!;
  const keys = keyCount(load);
  const prefix = ctx.flags.string('prefix');
  const endpoint = ctx.globals.endpoints[0] ?? '127.0.0.1:2379';
  const client = await connect(ctx.globals, ctx.globals.endpoints, { conns: Math.min(load.clients, CONNS_MAX),
    requestTimeoutMs: CLEANUP_TIMEOUT_MS });
  try {
    await requireEmptyPrefix(client, prefix);
    const before = await residentMemoryBytes(ctx, endpoint);
    if (before === 0) throw memoryFailure(ctx, 'before');
    ctx.out.stdout(`Start data scale check for work load [${keys} key-value pairs, ${load.kvSizeBytes} bytes per ` +
      `key-value, ${load.clients} concurrent clients].\n`);
    const stats = (await putAll(ctx, client, load, keys, prefix)).stats();
    const after = await residentMemoryBytes(ctx, endpoint);
    if (after === 0) throw memoryFailure(ctx, 'after');
    await cleanUp(ctx, client, prefix);
    if (printErrors(ctx, stats)) return ExitCode.ERROR;
    ctx.out.stdout(`PASS: Approximate system memory used : ${((after - before) / BYTES_PER_MB).toFixed(2)} MB.\n`);
    return ExitCode.SUCCESS;
  } finally {
    client.close();
  }
}

/** `check datascale`. */
export function checkDatascaleCommand(): CtlCommand {
  return { name: 'datascale', use: 'datascale [options]',
    short: 'Check the memory usage of holding data for different workloads on a given server endpoint.',
    long: 'If no endpoint is provided, localhost will be used. If multiple endpoints are provided, first endpoint will be used.',
    flags: checkFlags('datascale', '/etcdctl-check-datascale/'), run: runDatascale };
}

/** The `check` group. */
export function checkCommand(checkPerf: CtlCommand): CtlCommand {
  return { name: 'check', use: 'check <subcommand>', short: 'commands for checking properties of the etcd cluster',
    children: [checkDatascaleCommand(), checkPerf] };
}
