import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CorruptionError } from '../../base/errors.js';
import { ServerProcess } from '../../../tests/helpers/server.js';
import { runEtcdctl } from '../../../tests/helpers/etcdctl.js';
import { ETCDCTL_BIN } from '../../../tests/helpers/binaries.js';
import { splitSnapshot } from '../snapshot-file.js';
import { snapshotStatus } from '../status.js';
import { fnv1a64, PAGE_HEADER_BYTES } from './format.js';
import { readBbolt } from './reader.js';
import { writeBbolt, type BboltBucket } from './writer.js';

const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
console.log('SEED=' + seed);

/** mulberry32: small deterministic PRNG for the randomized contents. */
function prng(start: number): () => number {
  let a = start >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dir = mkdtempSync(join(tmpdir(), 'tetcd-bbolt-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function revisionKey(main: number): Uint8Array {
  const key = new Uint8Array(17);
  new DataView(key.buffer).setBigUint64(0, BigInt(main));
  key[8] = 0x5f;
  return key;
}

function randomBuckets(random: () => number): BboltBucket[] {
  const keyEntries: Array<[Uint8Array, Uint8Array]> = [];
  const count = 1 + Math.floor(random() * 3000);
  for (let i = 1; i <= count; i++) {
    const size = random() < 0.01 ? 5000 + Math.floor(random() * 20_000) : Math.floor(random() * 400);
    keyEntries.push([revisionKey(i), new Uint8Array(size).fill(i & 0xff)]);
  }
  const small: Array<[Uint8Array, Uint8Array]> = [[enc('a'), enc('1')], [enc('b'), enc('')]];
  return [
    { name: enc('meta'), entries: small }, { name: enc('key'), entries: keyEntries },
    { name: enc('lease'), entries: [] }, { name: enc('members'), entries: [[enc('x'.repeat(300)), enc('y'.repeat(800))]] },
  ];
}

function assertSameContents(buckets: BboltBucket[], read: Map<string, Array<[Uint8Array, Uint8Array]>>): void {
  assert.equal(read.size, buckets.length);
  for (const bucket of buckets) {
    const entries = read.get(Buffer.from(bucket.name).toString('latin1'));
    assert.ok(entries !== undefined);
    assert.equal(entries.length, bucket.entries.length);
    bucket.entries.forEach(([k, v], i) => {
      assert.deepEqual(Buffer.from(entries[i]![0]), Buffer.from(k));
      assert.deepEqual(Buffer.from(entries[i]![1]), Buffer.from(v));
    });
  }
}

test('writer output reads back identically (inline, multi-level, overflow pages)', () => {
  const random = prng(seed);
  for (let round = 0; round < 5; round++) {
    const buckets = randomBuckets(random);
    const bytes = writeBbolt(buckets);
    assert.equal(bytes.length % 4096, 0);
    const db = readBbolt(bytes);
    assert.equal(db.freePageCount, 0);
    assertSameContents(buckets, db.buckets);
  }
});

test('a file with many buckets needs a branch page in the root bucket', () => {
  const buckets = Array.from({ length: 60 }, (_, i) => ({ name: enc(`bucket-${String(i).padStart(3, '0')}`),
    entries: [[enc('k'), new Uint8Array(700)]] as Array<[Uint8Array, Uint8Array]> }));
  assertSameContents(buckets, readBbolt(writeBbolt(buckets)).buckets);
});

test('real etcdctl accepts the written file and reports the same status', () => {
  const buckets = randomBuckets(prng(seed + 1));
  const bytes = writeBbolt(buckets);
  const path = join(dir, 'written.db');
  writeFileSync(path, bytes);
  const out = execFileSync(ETCDCTL_BIN, ['snapshot', 'status', path, '-w', 'json'], { env: { ETCDCTL_API: '3' } });
  const theirs = JSON.parse(out.toString()) as Record<string, number>;
  assert.deepEqual(theirs, { ...snapshotStatus(readBbolt(bytes)) });
});

test('corruption is reported with its offset', () => {
  const bytes = writeBbolt(randomBuckets(prng(seed + 2)));
  const flipped = (at: number): Uint8Array => {
    const copy = bytes.slice();
    copy[at]! ^= 0xff;
    return copy;
  };
  // Both meta pages broken: not a bbolt file.
  const noMeta = flipped(PAGE_HEADER_BYTES);
  noMeta[4096 + PAGE_HEADER_BYTES]! ^= 0xff;
  assert.throws(() => readBbolt(noMeta), (e: unknown) => e instanceof CorruptionError && e.offset === 0);
  // A page header id that does not match its position.
  assert.throws(() => readBbolt(flipped(3 * 4096)),
    (e: unknown) => e instanceof CorruptionError && e.offset === 3 * 4096);
  // Truncated file.
  assert.throws(() => readBbolt(bytes.subarray(0, bytes.length - 4096)), CorruptionError);
  // One broken meta page is tolerated (bbolt falls back to the other).
  assert.doesNotThrow(() => readBbolt(flipped(PAGE_HEADER_BYTES + 20)));
});

test('FNV-1a 64 matches the published test vector', () => {
  assert.equal(fnv1a64(enc('a')), 0xaf63dc4c8601ec8cn);
  assert.equal(fnv1a64(new Uint8Array(0)), 0xcbf29ce484222325n);
});

test('a db saved from real etcd reads, and its status equals etcdctl snapshot status', async () => {
  const etcd = await ServerProcess.start({ kind: 'etcd', name: 'bbolt-source' });
  try {
    for (let i = 0; i < 20; i++) {
      const put = await runEtcdctl(etcd.endpoint, ['put', `key-${i}`, 'v'.repeat(i * 40)]);
      assert.equal(put.exitCode, 0, put.stderr);
    }
    await runEtcdctl(etcd.endpoint, ['del', 'key-1']);
    await runEtcdctl(etcd.endpoint, ['compaction', '--physical', '10']);
    const path = join(dir, 'etcd.db');
    const save = await runEtcdctl(etcd.endpoint, ['snapshot', 'save', path]);
    assert.equal(save.exitCode, 0, save.stderr);
    const db = readBbolt(splitSnapshot(readFileSync(path)).db, path);
    assert.equal(db.buckets.get('key')?.length, 21); // 20 puts + 1 tombstone: no key was superseded
    const status = await runEtcdctl(etcd.endpoint, ['snapshot', 'status', path, '-w', 'json']);
    assert.deepEqual(JSON.parse(status.stdout), { ...snapshotStatus(db) });
  } finally {
    await etcd.cleanup();
  }
});
