/**
 * Shared machinery of `check perf` and `check datascale`: the workload tables, the latency report
 * (etcd's pkg/report statistics), concurrent put workers, random keys as etcdctl makes them, and the
 * clean-up (delete the prefix, optional compaction and defragmentation) with etcdctl's messages.
 */
import { randomBytes } from 'node:crypto';
import type { EtcdClient } from '../../../client/index.js';
import type { RunContext } from '../command.js';
import { commandFailed, errorText, withClient } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import { goQuote } from '../go-format.js';

/** etcdctl accepts these spellings for `--load`. */
const LOAD_ALIASES: Readonly<Record<string, string>> = {
  s: 's', small: 's', m: 'm', medium: 'm', l: 'l', large: 'l', xl: 'xl', xLarge: 'xl',
};

/** The model name for `--load` text. Throws CtlExit(BAD_FEATURE) like etcdctl for an unknown one. */
export function loadModel(text: string): string {
  const model = LOAD_ALIASES[text];
  if (model === undefined) throw new CtlExit(ExitCode.BAD_FEATURE, `unknown load option ${text}`);
  return model;
}

/** Timeout of the clean-up requests (delete, compact, defrag), as etcdctl. */
export const CLEANUP_TIMEOUT_MS = 30_000;

/** pkg/report's summary: successful latencies in seconds and the error counts by message. */
export interface LoadStats {
  count: number;
  totalS: number;
  rps: number;
  slowestS: number;
  stddevS: number;
  errors: Map<string, number>;
}

/** Collects request results; `stats()` summarises as etcd's pkg/report does. */
export class LatencyReport {
  private readonly latenciesS: number[] = [];
  private readonly errors = new Map<string, number>();
  private readonly startedNs = process.hrtime.bigint();

  /** Records one request that started at `startNs` (hrtime) and ended now. */
  record(startNs: bigint, error: unknown): void {
    if (error !== undefined) {
      const text = errorText(error);
      this.errors.set(text, (this.errors.get(text) ?? 0) + 1);
      return;
    }
    this.latenciesS.push(Number(process.hrtime.bigint() - startNs) / 1e9);
  }

  /** The summary since the report was created. */
  stats(): LoadStats {
    const totalS = Number(process.hrtime.bigint() - this.startedNs) / 1e9;
    const n = this.latenciesS.length;
    let slowestS = 0;
    let sum = 0;
    for (const l of this.latenciesS) {
      sum += l;
      if (l > slowestS) slowestS = l;
    }
    const mean = n > 0 ? sum / n : 0;
    let squares = 0;
    for (const l of this.latenciesS) squares += (l - mean) ** 2;
    return { count: n, totalS, rps: totalS > 0 ? n / totalS : 0, slowestS, stddevS: n > 0 ? Math.sqrt(squares / n) : 0,
      errors: new Map(this.errors) };
  }
}

/** Go's binary.PutVarint (zigzag) of `value` into the start of `buffer`. */
export function putVarint(buffer: Uint8Array, value: bigint): void {
  let ux = value << 1n;
  if (value < 0n) ux = ~ux;
  ux &= (1n << 64n) - 1n;
  let i = 0;
  while (ux >= 0x80n) {
    buffer[i++] = Number(ux & 0x7fn) | 0x80;
    ux >>= 7n;
  }
  buffer[i] = Number(ux);
}

/** A key as etcdctl makes it: prefix + `keySize` bytes starting with a random int63 varint. */
export function randomKey(prefix: Uint8Array, keySizeBytes: number): Uint8Array {
  const key = new Uint8Array(prefix.length + keySizeBytes);
  key.set(prefix);
  const random = randomBytes(8).readBigUInt64BE() >> 1n;
  putVarint(key.subarray(prefix.length), random);
  return key;
}

/**
 * Runs `workers` concurrent loops, each taking the next put from `next` (undefined = stop) and
 * recording its latency in `report`. Resolves when every loop has stopped.
 */
export async function runPutWorkers(client: EtcdClient, workers: number, report: LatencyReport,
  next: () => Promise<{ key: Uint8Array; value: Uint8Array } | undefined>, onDone: () => void = () => {}):
  Promise<void> {
  const loop = async (): Promise<void> => {
    for (let op = await next(); op !== undefined; op = await next()) {
      const startNs = process.hrtime.bigint();
      let failure: unknown;
      try {
        await client.put(op);
      } catch (error) {
        failure = error ?? new Error('unknown error');
      }
      report.record(startNs, failure);
      onDone();
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
}

/** Fails with exit 3 (as etcdctl) when `prefix` already holds keys. */
export async function requireEmptyPrefix(client: EtcdClient, prefix: string): Promise<void> {
  const key = new TextEncoder().encode(prefix);
  let count: number;
  try {
    const r = await client.range({ key, rangeEnd: prefixEnd(key), limit: 1 });
    count = r.kvs.length;
  } catch (error) {
    throw commandFailed(error);
  }
  if (count > 0) {
    throw new CtlExit(ExitCode.INVALID_INPUT,
      `prefix ${goQuote(prefix)} has keys. Delete with etcdctl del --prefix ${prefix} first`);
  }
}

/** The range end that selects every key starting with `key` (clientv3's GetPrefixRangeEnd). */
export function prefixEnd(key: Uint8Array): Uint8Array {
  const end = Uint8Array.from(key);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Uint8Array.of(0);
}

/**
 * Deletes every key under `prefix`, then compacts to the delete's revision (`--auto-compact`) and
 * defragments every endpoint (`--auto-defrag`), printing etcdctl's progress lines.
 */
export async function cleanUp(ctx: RunContext, client: EtcdClient, prefix: string): Promise<void> {
  const key = new TextEncoder().encode(prefix);
  try {
    const deleted = await client.deleteRange({ key, rangeEnd: prefixEnd(key) });
    if (ctx.flags.bool('auto-compact')) {
      const revision = deleted.header?.revision ?? 0;
      ctx.out.stdout(`Compacting with revision ${revision}\n`);
      await client.compact({ revision, physical: true });
      ctx.out.stdout(`Compacted with revision ${revision}\n`);
    }
    if (ctx.flags.bool('auto-defrag')) {
      for (const endpoint of ctx.globals.endpoints) {
        ctx.out.stdout(`Defragmenting ${goQuote(endpoint)}\n`);
        await withClient(ctx.globals, (c) => c.defragment(), [endpoint], { requestTimeoutMs: CLEANUP_TIMEOUT_MS });
        ctx.out.stdout(`Defragmented ${goQuote(endpoint)}\n`);
      }
    }
  } catch (error) {
    throw commandFailed(error);
  }
}

/** Prints etcdctl's error lines (`FAIL: too many errors`, one per message); true when there were any. */
export function printErrors(ctx: RunContext, stats: LoadStats): boolean {
  if (stats.errors.size === 0) return false;
  ctx.out.stdout('FAIL: too many errors\n');
  for (const [text, count] of stats.errors) ctx.out.stdout(`FAIL: ERROR(${text}) -> ${count}\n`);
  return true;
}
