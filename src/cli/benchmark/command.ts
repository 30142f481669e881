/**
 * `tetcd benchmark`: etcd's tools/benchmark for the put, range and txn-put workloads, with the same
 * flag names and defaults and the same report layout. Works against tetcd and real etcd alike.
 *
 *   tetcd benchmark [--endpoints a:2379,b:2379] [--conns 1] [--clients 1] [--total 10000] [--rate 0]
 *     [--key-size 8] [--val-size 8] [--key-space-size 1] [--sequential-keys] [--json]
 *     put | range <key> [end] [--consistency l|s] [--limit 0] | txn-put [--txn-ops 1]
 */
import { Command, InvalidArgumentError } from 'commander';
import { formatReport, toJson } from './report.js';
import { runBenchmark, TXN_OPS_MAX } from './workloads.js';
import type { CommonOptions, WorkloadSpec } from './workloads.js';
import { CLIENTS_MAX, TOTAL_MAX } from './runner.js';
import { KEY_SIZE_BYTES_MAX, VALUE_SIZE_BYTES_MAX } from './keys.js';
import { RATE_PER_SECOND_MAX } from './rate-limiter.js';
import { CONNS_MAX } from '../../client/index.js';

/** Returns a commander argument parser for integers in [min, max]. */
export function intInRange(min: number, max: number): (text: string) => number {
  return (text: string): number => {
    if (!/^-?\d+$/.test(text.trim())) throw new InvalidArgumentError(`not an integer: ${text}`);
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`must be between ${min} and ${max}`);
    }
    return value;
  };
}

/** Parsed global flags (commander's camelCase keys). */
interface GlobalFlags {
  endpoints: string; conns: number; clients: number; total: number; rate: number; keySize: number;
  valSize: number; keySpaceSize: number; sequentialKeys: boolean; json: boolean; dialTimeout: number;
}

function commonFrom(flags: GlobalFlags, progress: boolean): CommonOptions {
  const endpoints = flags.endpoints.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const every = Math.max(1, Math.floor(flags.total / 20));
  const onProgress = (done: number): void => {
    if (done % every === 0 || done === flags.total) process.stderr.write(`\r${done} / ${flags.total} requests`);
    if (done === flags.total) process.stderr.write('\n');
  };
  return { endpoints, conns: flags.conns, clients: flags.clients, total: flags.total, ratePerSecond: flags.rate,
    dialTimeoutMs: flags.dialTimeout, ...(progress ? { onProgress } : {}) };
}

function keyPlanFrom(flags: GlobalFlags): { keySizeBytes: number; keySpaceSize: number; sequentialKeys: boolean } {
  return { keySizeBytes: flags.keySize, keySpaceSize: flags.keySpaceSize, sequentialKeys: flags.sequentialKeys };
}

async function execute(command: Command, spec: (flags: GlobalFlags) => WorkloadSpec): Promise<void> {
  const flags = command.optsWithGlobals<GlobalFlags>();
  const showProgress = !flags.json && process.stderr.isTTY === true;
  let result;
  try {
    result = await runBenchmark(commonFrom(flags, showProgress), spec(flags));
  } catch (error) {
    // command.error prints the message and exits (or throws CommanderError under exitOverride).
    command.error(`error: ${error instanceof Error ? error.message : String(error)}`, { exitCode: 1 });
  }
  process.stdout.write(flags.json ? `${JSON.stringify(toJson(result))}\n` : formatReport(result));
}

function addGlobalOptions(benchmark: Command): void {
  benchmark
    .option('--endpoints <list>', 'comma-separated gRPC endpoints (host:port or http://host:port)', '127.0.0.1:2379')
    .option('--conns <n>', 'number of gRPC connections', intInRange(1, CONNS_MAX), 1)
    .option('--clients <n>', 'number of concurrent clients', intInRange(1, CLIENTS_MAX), 1)
    .option('--total <n>', 'total number of requests', intInRange(0, TOTAL_MAX), 10_000)
    .option('--rate <n>', 'maximum requests per second (0 is no limit)', intInRange(0, RATE_PER_SECOND_MAX), 0)
    .option('--key-size <bytes>', 'key size of each request', intInRange(1, KEY_SIZE_BYTES_MAX), 8)
    .option('--val-size <bytes>', 'value size of each request', intInRange(0, VALUE_SIZE_BYTES_MAX), 8)
    .option('--key-space-size <n>', 'maximum possible keys', intInRange(1, Number.MAX_SAFE_INTEGER), 1)
    .option('--sequential-keys', 'use sequential keys', false)
    .option('--dial-timeout <ms>', 'dial timeout in milliseconds', intInRange(1, 600_000), 5_000)
    .option('--json', 'print one JSON object (throughput, p50/p90/p99) instead of the report', false);
}

/**
 * Adds `benchmark` with subcommands `put`, `range <key> [end]` and `txn-put` to `program`.
 * Actions reject (commander reports it) on bad endpoints or when no endpoint can be dialled.
 */
export function registerBenchmarkCommand(program: Command): void {
  const benchmark = program.command('benchmark').description('benchmark an etcd-compatible server (like etcd\'s benchmark tool)');
  addGlobalOptions(benchmark);
  benchmark.command('put').description('benchmark put')
    .action(async (_opts: unknown, command: Command) => execute(command, (flags) => ({
      kind: 'put', keyPlan: keyPlanFrom(flags), valueSizeBytes: flags.valSize })));
  benchmark.command('range').description('benchmark range')
    .argument('<key>', 'key to range over').argument('[end]', 'range end (exclusive)')
    .option('--consistency <l|s>', 'linearizable (l) or serializable (s)', 'l')
    .option('--limit <n>', 'maximum number of keys returned (0 is no limit)', intInRange(0, Number.MAX_SAFE_INTEGER), 0)
    .action(async (key: string, end: string | undefined, opts: { consistency: string; limit: number },
      command: Command) => {
      if (opts.consistency !== 'l' && opts.consistency !== 's') {
        command.error(`error: --consistency must be l or s, got ${opts.consistency}`, { exitCode: 1 });
      }
      const consistency = opts.consistency;
      const encoder = new TextEncoder();
      await execute(command, () => ({ kind: 'range', key: encoder.encode(key), consistency, limit: opts.limit,
        ...(end === undefined ? {} : { rangeEnd: encoder.encode(end) }) }));
    });
  benchmark.command('txn-put').description('benchmark txn with put operations')
    .option('--txn-ops <n>', 'number of puts per txn', intInRange(1, TXN_OPS_MAX), 1)
    .action(async (opts: { txnOps: number }, command: Command) => execute(command, (flags) => ({
      kind: 'txn-put', keyPlan: keyPlanFrom(flags), valueSizeBytes: flags.valSize, txnOps: opts.txnOps })));
}
