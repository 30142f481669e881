/**
 * A 100 MB+ Maintenance.Snapshot streamed by an in-process tetcd member (issue 6) to Debian's
 * `etcdctl snapshot save`: the member's event loop stays responsive (a put issued during the snapshot
 * completes in < 200 ms; max event-loop delay measured with perf_hooks.monitorEventLoopDelay), its
 * anonymous memory (RssAnon: the LMDB map is file-backed) grows by much less than the data size, and
 * `etcdctl snapshot status` / `snapshot restore` accept the file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, test } from 'node:test';
import { EtcdClient } from '../../src/client/index.js';
import { buildServerConfig } from '../../src/embed/config.js';
import { startEtcd, type EmbeddedEtcd } from '../../src/embed/etcd.js';
import { parseServerFlags } from '../../src/embed/flag-parser.js';
import { silentLogger } from '../../src/platform/logger.js';
import { runEtcdctl } from '../helpers/etcdctl.js';

const BIG_VALUE_BYTES = 1024 * 1024;
const BIG_KEYS = 105; // 105 MiB of large values
const SMALL_KEYS = 4000;
const SMALL_VALUE_BYTES = 200;
const WRITERS = 8;
/** Limits on an idle machine; scaled by loadFactor() when other processes compete for the CPUs. */
const PUT_DURING_SNAPSHOT_MS_MAX = 200;
const EVENT_LOOP_DELAY_MS_MAX = 200;
/** Peak anonymous-memory growth allowed while streaming, as a fraction of the data size. */
const RSS_GROWTH_FRACTION_MAX = 0.25;
const PROBE_INTERVAL_MS = 25;

const dir = mkdtempSync(join(tmpdir(), 'tetcd-snapshot-large-'));
let member: EmbeddedEtcd | undefined;
let client: EtcdClient | undefined;
after(async () => {
  client?.close();
  await member?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * How oversubscribed the CPUs are (1 when idle): with a load of 16 on 2 CPUs this process gets about an
 * eighth of a CPU, so any step takes ~8x its CPU time. The unstreamed snapshot blocked for 3.5 s of CPU.
 */
function loadFactor(): number {
  return Math.max(1, loadavg()[0]! / cpus().length);
}

/** Anonymous resident memory of this process (Linux /proc), in bytes. */
function rssAnonBytes(): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('RssAnon:'));
  assert.ok(line !== undefined, 'no RssAnon in /proc/self/status');
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

async function load(etcd: EtcdClient): Promise<number> {
  const jobs: Array<{ key: string; bytes: number }> = [];
  for (let i = 0; i < BIG_KEYS; i++) jobs.push({ key: `big/${String(i).padStart(4, '0')}`, bytes: BIG_VALUE_BYTES });
  for (let i = 0; i < SMALL_KEYS; i++) jobs.push({ key: `small/${String(i).padStart(5, '0')}`, bytes: SMALL_VALUE_BYTES });
  let total = 0;
  let next = 0;
  await Promise.all(Array.from({ length: WRITERS }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      await etcd.put({ key: Buffer.from(job.key), value: Buffer.alloc(job.bytes, job.key.length & 0xff) });
      total += job.bytes;
    }
  }));
  return total;
}

test('a 100 MB+ snapshot streams with a responsive event loop and bounded memory', { timeout: 240_000 }, async () => {
  const config = buildServerConfig(parseServerFlags([
    '--data-dir', join(dir, 'data'), '--listen-client-urls', 'http://127.0.0.1:0',
    '--listen-peer-urls', 'http://127.0.0.1:0', '--unsafe-no-fsync',
  ], {}));
  member = await startEtcd(config, silentLogger());
  const endpoint = `127.0.0.1:${member.clientPorts[0]}`;
  client = new EtcdClient({ endpoints: [endpoint] });
  await client.dial();
  const dataBytes = await load(client);
  const file = join(dir, 'snap.db');

  const baseline = monitorEventLoopDelay({ resolution: 10 });
  baseline.enable();
  for (let i = 0; i < 100; i++) {
    await client.put({ key: Buffer.from(`probe/base`), value: Buffer.from('x') });
    await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
  }
  baseline.disable();
  console.log(`baseline max event-loop delay ${(baseline.max / 1e6).toFixed(1)} ms`);
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = rssAnonBytes();
  let rssPeak = rssBefore;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const putLatenciesMs: number[] = [];
  let saving = true;
  const started = performance.now();
  const save = runEtcdctl(endpoint, ['snapshot', 'save', file], { timeoutMs: 120_000 })
    .finally(() => { saving = false; });
  const etcd = client;
  const probe = (async () => {
    for (let i = 0; saving; i++) {
      const t0 = performance.now();
      await etcd.put({ key: Buffer.from(`probe/${i}`), value: Buffer.from('x') });
      if (saving) putLatenciesMs.push(performance.now() - t0);
      rssPeak = Math.max(rssPeak, rssAnonBytes());
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
    }
  })();
  const saved = await save;
  await probe;
  delay.disable();
  const elapsedMs = performance.now() - started;
  assert.equal(saved.exitCode, 0, saved.stderr);

  const factor = loadFactor();
  const maxDelayMs = delay.max / 1e6;
  const maxPutMs = Math.max(...putLatenciesMs);
  const growth = rssPeak - rssBefore;
  console.log(`snapshot of ${statSync(file).size} bytes (${dataBytes} bytes of values) in ${elapsedMs.toFixed(0)} ms; ` +
    `${putLatenciesMs.length} puts during it, max ${maxPutMs.toFixed(1)} ms; max event-loop delay ` +
    `${maxDelayMs.toFixed(1)} ms; RssAnon growth ${(growth / 2 ** 20).toFixed(1)} MiB; load factor ${factor.toFixed(2)}`);
  assert.ok(putLatenciesMs.length >= 3, `only ${putLatenciesMs.length} puts ran during the snapshot`);
  assert.ok(maxPutMs < PUT_DURING_SNAPSHOT_MS_MAX * factor, `a put took ${maxPutMs} ms during the snapshot`);
  assert.ok(maxDelayMs < EVENT_LOOP_DELAY_MS_MAX * factor, `event loop blocked ${maxDelayMs} ms`);
  assert.ok(growth < dataBytes * RSS_GROWTH_FRACTION_MAX, `RssAnon grew ${growth} bytes for ${dataBytes} bytes of data`);

  const status = await runEtcdctl(endpoint, ['snapshot', 'status', file, '-w', 'json'], { timeoutMs: 60_000 });
  assert.equal(status.exitCode, 0, status.stderr);
  const parsed = JSON.parse(status.stdout) as { revision: number; totalKey: number; totalSize: number };
  assert.ok(parsed.totalKey >= BIG_KEYS + SMALL_KEYS, status.stdout);
  assert.equal(parsed.totalSize + 32, statSync(file).size);
  const restoreDir = join(dir, 'restored');
  const restore = await runEtcdctl(endpoint, ['snapshot', 'restore', file, '--data-dir', restoreDir], { timeoutMs: 60_000 });
  assert.equal(restore.exitCode, 0, restore.stderr);
  assert.ok(statSync(join(restoreDir, 'member', 'snap', 'db')).size >= dataBytes);
});
