/**
 * MVCC benchmark: put/s and range/s through MvccStore (LMDB backend with etcd batching), then a
 * load of --keys keys (8-byte keys, 256-byte values), RSS, and the index rebuild time and RSS of a
 * fresh process that reopens the store.
 * Run: `npx tsx bench/mvcc.bench.ts [--keys=1000000] [--ops=200000] [--dir=/path]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeededRandom } from '../src/base/random.js';
import { Backend } from '../src/backend/backend.js';
import { MvccStore } from '../src/mvcc/store.js';

const VALUE_BYTES = 256;
const KEY_BYTES = 8;
const LOAD_TXN_PUTS = 1000;
const MIB = 1024 * 1024;

function argument(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length) ?? fallback;
}

/** Keys spread over the whole 64-bit space (golden-ratio multiplicative hash of n). */
function keyValueOf(n: number): bigint {
  return (BigInt(n) * 0x9e3779b97f4a7c15n) % 2n ** 64n;
}

function keyOf(n: number): Uint8Array {
  const key = new Uint8Array(KEY_BYTES);
  new DataView(key.buffer).setBigUint64(0, keyValueOf(n));
  return key;
}

/** PUT_KEYS keys spread evenly: a 1/1000 slice of the space holds ~100 of them. */
const PUT_KEYS = 100_000;
const SLICE_WIDTH = 2n ** 64n / 1000n;

const rssMiB = (): number => Math.round(process.memoryUsage().rss / MIB);
const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/** Rate per wall second and per CPU second (the CPU rate is meaningful on a shared machine). */
interface Rate {
  wallPerSecond: number;
  cpuPerSecond: number;
}

function rate(ops: number, startWallMs: number, startCpuMs: number): Rate {
  return {
    wallPerSecond: Math.round(ops / ((performance.now() - startWallMs) / 1000)),
    cpuPerSecond: Math.round(ops / ((cpuMs() - startCpuMs) / 1000)),
  };
}

const show = (r: Rate): string => `${r.wallPerSecond}/s wall, ${r.cpuPerSecond}/s per CPU-second`;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function benchPuts(store: MvccStore, ops: number): Promise<Rate> {
  const value = new Uint8Array(VALUE_BYTES).fill(0x61);
  const random = new SeededRandom(1);
  const startMs = performance.now();
  const startCpuMs = cpuMs();
  for (let i = 0; i < ops; i++) {
    const txn = store.write();
    txn.put(keyOf(random.intBelow(PUT_KEYS)), value, 0n);
    txn.end();
    if (i % 1000 === 999) await tick();
  }
  return rate(ops, startMs, startCpuMs);
}

/** Single-key ranges (width 1) or ranges over a 1/1000 slice of the key space (~100 keys). */
function benchRanges(store: MvccStore, ops: number, width: number): Rate {
  const random = new SeededRandom(2);
  const startMs = performance.now();
  const startCpuMs = cpuMs();
  for (let i = 0; i < ops; i++) {
    const n = random.intBelow(PUT_KEYS);
    if (width === 1) {
      store.range(keyOf(n), new Uint8Array(0), {});
    } else {
      const startValue = keyValueOf(n) % (2n ** 64n - SLICE_WIDTH);
      const start = new Uint8Array(KEY_BYTES);
      const end = new Uint8Array(KEY_BYTES);
      new DataView(start.buffer).setBigUint64(0, startValue);
      new DataView(end.buffer).setBigUint64(0, startValue + SLICE_WIDTH);
      store.range(start, end, { limit: width });
    }
  }
  return rate(ops, startMs, startCpuMs);
}

async function load(store: MvccStore, backend: Backend, keys: number): Promise<number> {
  const value = new Uint8Array(VALUE_BYTES).fill(0x62);
  const startMs = performance.now();
  for (let first = 0; first < keys; first += LOAD_TXN_PUTS) {
    const txn = store.write();
    for (let n = first; n < Math.min(keys, first + LOAD_TXN_PUTS); n++) txn.put(keyOf(1_000_000 + n), value, 0n);
    txn.end();
    await tick();
  }
  await backend.forceCommit();
  return (performance.now() - startMs) / 1000;
}

/** Child process: reopen and report rebuild time and RSS. */
async function reopen(path: string): Promise<void> {
  const startMs = performance.now();
  const startCpuMs = cpuMs();
  const backend = await Backend.open(path);
  const store = await MvccStore.open(backend);
  const rebuildMs = performance.now() - startMs;
  const rebuildCpuMs = cpuMs() - startCpuMs;
  (globalThis as { gc?: () => void }).gc?.();
  const count = store.range(new Uint8Array([0]), new Uint8Array([0]), { countOnly: true }).count;
  console.log(JSON.stringify({
    rebuildMs: Math.round(rebuildMs), rebuildCpuMs: Math.round(rebuildCpuMs), rssMiB: rssMiB(), keys: count,
    heapUsedMiB: Math.round(process.memoryUsage().heapUsed / MIB),
  }));
  await store.close();
  await backend.close();
}

async function main(): Promise<void> {
  const reopenPath = argument('reopen', '');
  if (reopenPath !== '') return reopen(reopenPath);
  const keys = Number(argument('keys', '1000000'));
  const ops = Number(argument('ops', '200000'));
  const dir = await mkdtemp(join(argument('dir', tmpdir()), 'tetcd-mvcc-bench-'));
  const path = join(dir, 'db');
  try {
    const backend = await Backend.open(path);
    const store = await MvccStore.open(backend);
    console.log(`put (1 per txn, 8B key, 256B value): ${show(await benchPuts(store, ops))}`);
    console.log(`range single key: ${show(benchRanges(store, ops, 1))}`);
    console.log(`range ~100 keys (limit 100): ${show(benchRanges(store, ops / 20, 100))}`);
    const loadSeconds = await load(store, backend, keys);
    (globalThis as { gc?: () => void }).gc?.();
    const db = Math.round(backend.sizeBytes() / MIB);
    console.log(`load ${keys} keys: ${loadSeconds.toFixed(1)} s, RSS ${rssMiB()} MiB, db ${db} MiB`);
    await store.close();
    await backend.close();
    const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url),
      `--reopen=${path}`], { encoding: 'utf8' });
    console.log(`reopen (fresh process): ${child.stdout.trim()} ${child.stderr.trim()}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
