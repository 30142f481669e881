/**
 * In-process measurements for docs/design/0006-watch.md (not a test, not used by production code):
 * heap per watcher (10,000 on one stream), heap per stream (1,000 streams of one watcher) and the
 * apply-turn cost of fanning one event out to 10,000 watchers.
 * Run: node --expose-gc --import tsx src/mvcc/watch/measure.ts
 */
import { closeStore, openStore, tempDbPath } from '../test-util.js';
import { WatchableStore } from './watchable-store.js';
import { WatchStream } from './watch-stream.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const gc = (globalThis as { gc?: () => void }).gc;

function heapBytes(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function main(): Promise<void> {
  if (gc === undefined) throw new Error('run with node --expose-gc');
  const opened = await openStore(tempDbPath());
  const watch = new WatchableStore(() => opened.store, { syncIntervalMs: 0 });
  const noFilters = { noPut: false, noDelete: false };
  const create = (stream: WatchStream, key: string, rangeEnd = '') => stream.create({
    key: enc(key), rangeEnd: enc(rangeEnd), startRevision: 0, watchId: 0, ...noFilters,
  });

  let before = heapBytes();
  const big = new WatchStream(watch, () => undefined, Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < 10_000; i++) create(big, `m/${i}`);
  while (big.take() !== undefined) { /* drop created responses */ }
  const perWatcher = (heapBytes() - before) / 10_000;

  before = heapBytes();
  const streams: WatchStream[] = [];
  for (let i = 0; i < 1_000; i++) {
    const stream = new WatchStream(watch, () => undefined, Number.MAX_SAFE_INTEGER);
    create(stream, 'fan');
    while (stream.take() !== undefined) { /* drop created */ }
    streams.push(stream);
  }
  const perStream = (heapBytes() - before) / 1_000;

  // Fan-out: 10,000 prefix watchers on one stream all match every write.
  const fan = new WatchStream(watch, () => undefined, Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < 10_000; i++) create(fan, 'f/', 'f0');
  const notifyMs: number[] = [];
  for (let i = 0; i < 200; i++) {
    const txn = opened.store.write();
    txn.put(enc('f/x'), enc(`v${i}`), 0n);
    const { events, revision } = txn.end();
    const started = performance.now();
    watch.notify(events, revision);
    notifyMs.push(performance.now() - started);
    while (fan.take() !== undefined) { /* drain */ }
    for (const stream of streams) while (stream.take() !== undefined) { /* drain */ }
  }
  notifyMs.sort((a, b) => a - b);
  console.log(JSON.stringify({
    heapBytesPerWatcher: Math.round(perWatcher), heapBytesPerStreamWithOneWatcher: Math.round(perStream),
    fanout10kWatchersNotifyMs: { p50: percentile(notifyMs, 50).toFixed(2), p99: percentile(notifyMs, 99).toFixed(2) },
    stats: watch.stats(),
  }));
  watch.close();
  await closeStore(opened);
}

await main();
