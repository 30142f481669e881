/**
 * WAL benchmark: saves/s and MB/s with 1, 16 and 128 entries of 300 bytes per save, each save
 * fdatasynced (the acknowledged-write path), plus fsync latency percentiles and raw CRC-32C speed.
 * Run: `npx tsx bench/wal.bench.ts [--duration-ms=2000] [--dir=/path/on/the/disk/to/test]`.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32c } from '../src/base/crc32c.js';
import type { Entry } from '../src/raft/types.js';
import { Wal } from '../src/wal/wal.js';

const ENTRY_DATA_BYTES = 300;
const BATCH_SIZES = [1, 16, 128] as const;
const DURATION_MS_DEFAULT = 2000;

export interface WalBenchRow {
  entriesPerSave: number;
  saves: number;
  savesPerSecond: number;
  entriesPerSecond: number;
  megabytesPerSecond: number;
  fsyncP50Ms: number;
  fsyncP99Ms: number;
  fsyncMeanMs: number;
  writeMeanMs: number;
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

async function benchBatch(parentDir: string, entriesPerSave: number, durationMs: number): Promise<WalBenchRow> {
  const dir = await mkdtemp(join(parentDir, 'tetcd-wal-bench-'));
  const fsyncMs: number[] = [];
  let bytesWritten = 0;
  let writeMsTotal = 0;
  const wal = await Wal.create(dir, new Uint8Array(16), {
    onFsync: (ms) => fsyncMs.push(ms),
    onWrite: (bytes, ms) => { bytesWritten += bytes; writeMsTotal += ms; },
  });
  const data = new Uint8Array(ENTRY_DATA_BYTES).fill(0x61);
  let index = 0;
  let saves = 0;
  const startMs = performance.now();
  try {
    while (performance.now() - startMs < durationMs) {
      const batch: Entry[] = [];
      for (let i = 0; i < entriesPerSave; i++) batch.push({ index: ++index, term: 1, type: 0, data });
      await wal.save({ term: 1, vote: 1n, commit: index - 1 }, batch, true);
      saves++;
    }
  } finally {
    await wal.close();
    await rm(dir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - startMs) / 1000;
  fsyncMs.sort((a, b) => a - b);
  return {
    entriesPerSave, saves, savesPerSecond: saves / seconds, entriesPerSecond: index / seconds,
    megabytesPerSecond: bytesWritten / seconds / 1e6,
    fsyncP50Ms: percentile(fsyncMs, 0.5), fsyncP99Ms: percentile(fsyncMs, 0.99),
    fsyncMeanMs: fsyncMs.reduce((a, b) => a + b, 0) / Math.max(1, fsyncMs.length),
    writeMeanMs: writeMsTotal / Math.max(1, saves),
  };
}

/** CRC-32C throughput over a 1 MiB buffer, in MB/s. */
export function benchCrc32c(iterations = 200): number {
  const buffer = new Uint8Array(1024 * 1024).map((_, i) => i * 31);
  let crc = 0;
  const startMs = performance.now();
  for (let i = 0; i < iterations; i++) crc = crc32c(buffer, crc);
  const seconds = (performance.now() - startMs) / 1000;
  if (crc === 0xdeadbeef) console.log('(unlikely crc)');
  return (iterations * buffer.length) / seconds / 1e6;
}

/** Baseline without the WAL: appends `bytesPerWrite` and fdatasyncs, in a loop; returns writes/s. */
export async function benchRawFsync(parentDir: string, bytesPerWrite: number, durationMs: number): Promise<number> {
  const dir = await mkdtemp(join(parentDir, 'tetcd-fsync-bench-'));
  const handle = await open(join(dir, 'raw'), 'w');
  const bytes = new Uint8Array(bytesPerWrite).fill(0x62);
  let writes = 0;
  let position = 0;
  const startMs = performance.now();
  try {
    while (performance.now() - startMs < durationMs) {
      await handle.write(bytes, 0, bytes.length, position);
      position += bytes.length;
      await handle.datasync();
      writes++;
    }
  } finally {
    await handle.close();
    await rm(dir, { recursive: true, force: true });
  }
  return writes / ((performance.now() - startMs) / 1000);
}

/** Runs every batch size in a temp dir under `parentDir`. Throws on I/O errors. */
export async function runWalBench(parentDir = tmpdir(), durationMs = DURATION_MS_DEFAULT): Promise<WalBenchRow[]> {
  const rows: WalBenchRow[] = [];
  for (const size of BATCH_SIZES) rows.push(await benchBatch(parentDir, size, durationMs));
  return rows;
}

function argValue(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

async function main(): Promise<void> {
  const durationMs = Number(argValue('duration-ms') ?? DURATION_MS_DEFAULT);
  const dir = argValue('dir') ?? tmpdir();
  console.log(`crc32c: ${benchCrc32c().toFixed(0)} MB/s`);
  console.log(`WAL save+fdatasync, ${ENTRY_DATA_BYTES}-byte entries, ${durationMs} ms per row, dir ${dir}`);
  for (const size of BATCH_SIZES) {
    const bytes = size * (ENTRY_DATA_BYTES + 36) + 40;
    const rate = await benchRawFsync(dir, bytes, durationMs);
    console.log(`baseline: raw write+fdatasync of ${bytes} bytes: ${rate.toFixed(0)}/s`);
  }
  console.log('entries/save  saves/s  entries/s   MB/s  fsync p50/p99/mean ms  write mean ms');
  for (const row of await runWalBench(dir, durationMs)) {
    console.log([
      String(row.entriesPerSave).padStart(12), row.savesPerSecond.toFixed(0).padStart(8),
      row.entriesPerSecond.toFixed(0).padStart(10), row.megabytesPerSecond.toFixed(2).padStart(6),
      `${row.fsyncP50Ms.toFixed(2)}/${row.fsyncP99Ms.toFixed(2)}/${row.fsyncMeanMs.toFixed(2)}`.padStart(21),
      row.writeMeanMs.toFixed(2).padStart(14),
    ].join(' '));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
