/**
 * `check perf [--load s|m|l|xl] [--prefix P] [--auto-compact] [--auto-defrag]`, as etcdctl 3.4:
 * rate-limited puts (256-byte random keys, 1 KiB values) from the load's number of concurrent clients
 * for 60 s with a progress bar, then the prefix is deleted and PASS/FAIL lines judge throughput
 * (> 90% of the target rate), the slowest request (≤ 0.5 s) and the latency stddev (≤ 0.1 s).
 * `FAIL` exits 1. The run length can be shortened with TETCDCTL_CHECK_PERF_DURATION_S (tests).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { CONNS_MAX } from '../../../client/index.js';
import type { CtlCommand, RunContext } from '../command.js';
import type { FlagSpec } from '../flag-parser.js';
import { connect } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import { boolFlag, stringFlag } from './flags.js';
import { cleanUp, LatencyReport, loadModel, printErrors, randomKey, requireEmptyPrefix, runPutWorkers,
  CLEANUP_TIMEOUT_MS } from './check-load.js';
import { ProgressBar, terminalColumns } from './check-progress.js';

/** Environment variable overriding the 60 s run (whole seconds ≥ 1; for tests and quick checks). */
export const PERF_DURATION_ENV = 'TETCDCTL_CHECK_PERF_DURATION_S';

interface PerfLoad { writesPerS: number; clients: number; durationS: number }

const PERF_LOADS: Readonly<Record<string, PerfLoad>> = {
  s: { writesPerS: 150, clients: 50, durationS: 60 },
  m: { writesPerS: 1000, clients: 200, durationS: 60 },
  l: { writesPerS: 8000, clients: 500, durationS: 60 },
  xl: { writesPerS: 15000, clients: 1000, durationS: 60 },
};
const KEY_SIZE_BYTES = 256;
const VALUE_SIZE_BYTES = 1024;
const SLOWEST_LIMIT_S = 0.5;
const STDDEV_LIMIT_S = 0.1;
const THROUGHPUT_RATIO_MIN = 0.9;
const MS_PER_S = 1000;

/** The run length: the load's, or the override from the environment. Throws CtlExit on a bad override. */
export function perfDurationS(load: PerfLoad, env: NodeJS.ProcessEnv = process.env): number {
  const text = env[PERF_DURATION_ENV];
  if (text === undefined || text === '') return load.durationS;
  const seconds = Number(text);
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new CtlExit(ExitCode.BAD_ARGS, `invalid ${PERF_DURATION_ENV} ${JSON.stringify(text)} (whole seconds ≥ 1)`);
  }
  return seconds;
}

/** A token bucket of burst 1 (golang.org/x/time/rate): resolves false when the next slot is past the deadline. */
function rateLimiter(perS: number, deadlineMs: number): () => Promise<boolean> {
  const intervalMs = MS_PER_S / perS;
  let lastMs = -Infinity;
  return async () => {
    const slotMs = Math.max(performance.now(), lastMs + intervalMs);
    if (slotMs > deadlineMs) return false;
    lastMs = slotMs;
    const waitMs = slotMs - performance.now();
    if (waitMs >= 1) await delay(waitMs);
    return true;
  };
}

function judge(ctx: RunContext, load: PerfLoad, stats: ReturnType<LatencyReport['stats']>): boolean {
  let ok = !printErrors(ctx, stats);
  const writes = Math.trunc(stats.rps) + 1;
  if (stats.rps / load.writesPerS <= THROUGHPUT_RATIO_MIN) {
    ctx.out.stdout(`FAIL: Throughput too low: ${writes} writes/s\n`);
    ok = false;
  } else ctx.out.stdout(`PASS: Throughput is ${writes} writes/s\n`);
  if (stats.slowestS > SLOWEST_LIMIT_S) {
    ctx.out.stdout(`Slowest request took too long: ${stats.slowestS.toFixed(6)}s\n`);
    ok = false;
  } else ctx.out.stdout(`PASS: Slowest request took ${stats.slowestS.toFixed(6)}s\n`);
  if (stats.stddevS > STDDEV_LIMIT_S) {
    ctx.out.stdout(`Stddev too high: ${stats.stddevS.toFixed(6)}s\n`);
    ok = false;
  } else ctx.out.stdout(`PASS: Stddev is ${stats.stddevS.toFixed(6)}s\n`);
  return ok;
}

async function runPerf(ctx: RunContext): Promise<number> {
  const load = PERF_LOADS[loadModel(ctx.flags.string('load'))]!;
  const durationS = perfDurationS(load);
  const durationMs = durationS * MS_PER_S;
  const prefix = ctx.flags.string('prefix');
  const client = await connect(ctx.globals, ctx.globals.endpoints, { conns: Math.min(load.clients, CONNS_MAX),
    dialTimeoutMs: durationMs, requestTimeoutMs: Math.max(durationMs, CLEANUP_TIMEOUT_MS) });
  try {
    await requireEmptyPrefix(client, prefix);
    const prefixBytes = new TextEncoder().encode(prefix);
    const value = new Uint8Array(VALUE_SIZE_BYTES);
    const bar = new ProgressBar(durationS, (t) => { ctx.out.stdout(t); }, terminalColumns());
    bar.start();
    const report = new LatencyReport();
    const ticks = (async () => {
      for (let i = 0; i < durationS; i++) {
        await delay(MS_PER_S);
        bar.add(1);
      }
      bar.finish();
    })();
    const limiter = rateLimiter(load.writesPerS, performance.now() + durationMs);
    const next = async (): Promise<{ key: Uint8Array; value: Uint8Array } | undefined> =>
      (await limiter()) ? { key: randomKey(prefixBytes, KEY_SIZE_BYTES), value } : undefined;
    await runPutWorkers(client, load.clients, report, next);
    const stats = report.stats();
    await ticks;
    await cleanUp(ctx, client, prefix);
    if (judge(ctx, load, stats)) {
      ctx.out.stdout('PASS\n');
      return ExitCode.SUCCESS;
    }
    ctx.out.stdout('FAIL\n');
    return ExitCode.ERROR;
  } finally {
    client.close();
  }
}

/** The flags `check perf` and `check datascale` share (prefix default differs). */
export function checkFlags(what: 'performance' | 'datascale', prefix: string): FlagSpec[] {
  return [
    boolFlag('auto-compact', 'Compact storage with last revision after test is finished.'),
    boolFlag('auto-defrag', 'Defragment storage after test is finished.'),
    stringFlag('load', 's', `The ${what} check's workload model. Accepted workloads: s(small), m(medium), l(large), xl(xLarge)`),
    stringFlag('prefix', prefix, `The prefix for writing the ${what} check's keys.`),
  ];
}

/** `check perf`. */
export function checkPerfCommand(): CtlCommand {
  return { name: 'perf', use: 'perf [options]', short: 'Check the performance of the etcd cluster',
    flags: checkFlags('performance', '/etcdctl-check-perf/'), run: runPerf };
}
