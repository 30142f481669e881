/**
 * Stress test for the defrag environment swap (issue #6: an LMDB freelist crash right after a defrag
 * under load). Runs, concurrently and for DEFRAG_STRESS_MS (default a few seconds): a writer of
 * self-describing values of many sizes (small to multi-page overflow), a physical compactor that
 * deletes ranges and force-commits, repeated defrags, repeated copyTo's whose copies are opened and
 * checked, read views read in chunks across event-loop turns, and size/stats queries. Every read is
 * checked against an in-memory model; at the end the file is reopened and every key is verified.
 *
 * Replay: SEED=<n> node --import tsx --test src/backend/defrag-stress.test.ts
 * Longer: DEFRAG_STRESS_MS=600000 nice -n 19 node --import tsx --test src/backend/defrag-stress.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from './backend.js';
import { type BucketName } from './buckets.js';
import { bytesToBinaryString } from './bytes.js';

const SEED = Number(process.env['SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.log(`SEED=${SEED}`);
const STRESS_MS = Number(process.env['DEFRAG_STRESS_MS'] ?? 6_000);
/** Distinct keys per bucket: overwrites and deletes keep the file fragmented but bounded. */
const KEY_IDS = 600;
/** Value sizes: inline, page-sized, and overflow runs of several pages (the runbook writes 48 KiB). */
const VALUE_SIZES_BYTES = [0, 9, 120, 1_500, 4_000, 9_000, 20_000, 49_152];
const BUCKETS: readonly BucketName[] = ['key', 'meta', 'lease'];
const VIEW_CHUNK_ENTRIES = 25;
const VIEW_CHUNK_BYTES = 64 * 1024;

/** mulberry32: small seeded PRNG. */
function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const random = makeRandom(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function keyOf(id: number): Uint8Array {
  return new TextEncoder().encode(`k${String(id).padStart(5, '0')}`);
}

/** A value that names its key and version, with filler derived from both (detects torn/mixed data). */
function makeValue(key: Uint8Array, version: number, sizeBytes: number): Uint8Array {
  const header = new TextEncoder().encode(`${bytesToBinaryString(key)}#${version}#`);
  const value = new Uint8Array(header.length + sizeBytes);
  value.set(header);
  for (let i = 0; i < sizeBytes; i++) value[header.length + i] = (version * 31 + i * 7 + key[key.length - 1]!) & 0xff;
  return value;
}

/** Checks that `value` is a well-formed makeValue output for `key`; returns its version. */
function checkValue(key: Uint8Array, value: Uint8Array, where: string): number {
  const text = bytesToBinaryString(value.subarray(0, Math.min(value.length, 40)));
  const match = /^([^#]*)#(\d+)#/.exec(text);
  assert.ok(match !== null, `${where}: malformed value for ${bytesToBinaryString(key)}`);
  assert.equal(match[1], bytesToBinaryString(key), `${where}: value belongs to another key`);
  const version = Number(match[2]);
  const expected = makeValue(key, version, value.length - match[0].length);
  assert.ok(Buffer.from(expected).equals(Buffer.from(value)), `${where}: corrupt value for ${match[1]}`);
  return version;
}

/** The expected contents: bucket -> binary key -> value. */
type Model = Map<BucketName, Map<string, Uint8Array>>;

interface Stress {
  backend: Backend;
  model: Model;
  dir: string;
  deadline: number;
  counts: Record<string, number>;
  version: number;
}

function verifyAll(backend: Backend, model: Model, where: string): void {
  for (const bucket of BUCKETS) {
    const expected = model.get(bucket)!;
    const seen = [...backend.range(bucket, new Uint8Array([0]))];
    assert.equal(seen.length, expected.size, `${where}: ${bucket} holds ${seen.length} keys, expected ${expected.size}`);
    for (const [key, value] of seen) {
      const want = expected.get(bytesToBinaryString(key));
      assert.ok(want !== undefined, `${where}: unexpected key ${bytesToBinaryString(key)}`);
      assert.ok(Buffer.from(want).equals(Buffer.from(value)), `${where}: wrong value for ${bytesToBinaryString(key)}`);
    }
  }
}

async function writer(s: Stress): Promise<void> {
  while (Date.now() < s.deadline) {
    const release = random() < 0.3 ? s.backend.holdCommits() : undefined;
    const ops = 1 + Math.floor(random() * 40);
    for (let i = 0; i < ops; i++) {
      const bucket = pick(BUCKETS);
      const key = keyOf(Math.floor(random() * KEY_IDS));
      const text = bytesToBinaryString(key);
      if (random() < 0.15) {
        s.backend.delete(bucket, key);
        s.model.get(bucket)!.delete(text);
      } else {
        const value = makeValue(key, ++s.version, pick(VALUE_SIZES_BYTES));
        s.backend.put(bucket, key, value);
        s.model.get(bucket)!.set(text, value);
      }
      const probe = keyOf(Math.floor(random() * KEY_IDS));
      const got = s.backend.get(bucket, probe);
      const want = s.model.get(bucket)!.get(bytesToBinaryString(probe));
      assert.equal(got === undefined, want === undefined, `get presence for ${bytesToBinaryString(probe)}`);
      if (got !== undefined) assert.ok(Buffer.from(got).equals(Buffer.from(want!)), 'get value');
    }
    release?.();
    s.counts['writes'] = (s.counts['writes'] ?? 0) + ops;
    if (random() < 0.1) await s.backend.forceCommit();
    await turn();
  }
}

/** Deletes a window of keys in batches, force-committing each batch (like physical compaction). */
async function compactor(s: Stress): Promise<void> {
  while (Date.now() < s.deadline) {
    const bucket = pick(BUCKETS);
    const first = Math.floor(random() * KEY_IDS);
    const start = keyOf(first);
    const end = keyOf(first + 1 + Math.floor(random() * 60));
    const keys = [...s.backend.range(bucket, start, end, 20)].map(([key]) => key);
    for (const key of keys) {
      s.backend.delete(bucket, key);
      s.model.get(bucket)!.delete(bytesToBinaryString(key));
    }
    await s.backend.forceCommit();
    s.counts['compactions'] = (s.counts['compactions'] ?? 0) + 1;
    await turn();
  }
}

async function defragger(s: Stress): Promise<void> {
  while (Date.now() < s.deadline) {
    await s.backend.defrag();
    s.counts['defrags'] = (s.counts['defrags'] ?? 0) + 1;
    assert.ok(s.backend.sizeBytes() > 0);
    await turn();
  }
}

/** copyTo, then opens the copy and checks every value in it is well formed. */
async function copier(s: Stress): Promise<void> {
  let n = 0;
  while (Date.now() < s.deadline) {
    const path = join(s.dir, `copy-${++n}`);
    await s.backend.copyTo(path);
    const copy = await Backend.open(path);
    try {
      for (const bucket of BUCKETS) {
        for (const [key, value] of copy.range(bucket, new Uint8Array([0]))) checkValue(key, value, `copy ${n}`);
      }
    } finally {
      await copy.close();
    }
    for (const name of readdirSync(s.dir)) if (name.startsWith(`copy-${n}`)) rmSync(join(s.dir, name), { force: true });
    s.counts['copies'] = (s.counts['copies'] ?? 0) + 1;
    await turn();
  }
}

/** Reads whole buckets through read views in chunks, yielding between chunks. */
async function viewer(s: Stress): Promise<void> {
  while (Date.now() < s.deadline) {
    const view = await s.backend.openReadView();
    try {
      for (const bucket of BUCKETS) {
        let after: Uint8Array | undefined;
        for (;;) {
          const useSizes = random() < 0.3;
          const chunk = useSizes
            ? view.sizesAfter(bucket, after, VIEW_CHUNK_BYTES, VIEW_CHUNK_ENTRIES).map(([k]) => k)
            : view.readAfter(bucket, after, VIEW_CHUNK_BYTES, VIEW_CHUNK_ENTRIES).map(([k, v]) => {
              checkValue(k, v, 'view');
              return k;
            });
          if (chunk.length === 0) break;
          if (after !== undefined) assert.ok(Buffer.compare(chunk[0]!, after) > 0, 'view keys must ascend');
          after = chunk[chunk.length - 1];
          await turn();
        }
      }
    } finally {
      view.close();
    }
    s.counts['views'] = (s.counts['views'] ?? 0) + 1;
    await turn();
  }
}

async function statsReader(s: Stress): Promise<void> {
  while (Date.now() < s.deadline) {
    assert.ok(s.backend.sizeInUseBytes() > 0);
    verifyAll(s.backend, s.model, 'live');
    s.counts['stats'] = (s.counts['stats'] ?? 0) + 1;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const WORKER_FNS: Record<string, (s: Stress) => Promise<void>> = {
  writer, compactor, defragger, copier, viewer, stats: statsReader,
};
/** Which loops run (DEFRAG_STRESS_WORKERS=writer,defragger,... to bisect a failure). */
const WORKERS = (process.env['DEFRAG_STRESS_WORKERS'] ?? 'writer,writer,compactor,defragger,copier,viewer,viewer,stats')
  .split(',');

test('defrag and copyTo under concurrent writes, views and compactions keep every key', { timeout: STRESS_MS + 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tetcd-defrag-stress-'));
    const path = join(dir, 'db');
    try {
      const backend = await Backend.open(path, { batchLimit: 64, batchIntervalMs: 2 });
      const model: Model = new Map(BUCKETS.map((bucket) => [bucket, new Map<string, Uint8Array>()]));
      const s: Stress = { backend, model, dir, deadline: Date.now() + STRESS_MS, counts: {}, version: 0 };
      const started = performance.now();
      await Promise.all(WORKERS.map((name) => WORKER_FNS[name]!(s)));
      verifyAll(backend, model, 'after stress');
      await backend.close();
      const reopened = await Backend.open(path);
      verifyAll(reopened, model, 'after reopen');
      await reopened.close();
      console.log(`defrag stress ${(performance.now() - started).toFixed(0)} ms: ${JSON.stringify(s.counts)}`);
      if (process.env['DEFRAG_STRESS_WORKERS'] === undefined) {
        assert.ok((s.counts['defrags'] ?? 0) > 0 && (s.counts['copies'] ?? 0) > 0 && (s.counts['views'] ?? 0) > 0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
