import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareBytes } from './format.js';
import { readBbolt } from './reader.js';
import { streamBbolt, type BboltSource, type ReadLimits } from './stream-writer.js';
import { writeBbolt, type BboltBucket } from './writer.js';

const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
console.log('SEED=' + seed);

function prng(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
}

/** A source over in-memory buckets that counts how many bytes one read returned at most. */
function memorySource(buckets: readonly BboltBucket[]): BboltSource & { maxReadBytes: number } {
  const source = {
    bucketNames: buckets.map((b) => b.name),
    maxReadBytes: 0,
    read(name: Uint8Array, after: Uint8Array | undefined, limits: ReadLimits): Array<[Uint8Array, Uint8Array]> {
      const bucket = buckets.find((b) => compareBytes(b.name, name) === 0);
      assert.ok(bucket !== undefined);
      const out: Array<[Uint8Array, Uint8Array]> = [];
      let bytes = 0;
      for (const [key, value] of bucket.entries) {
        if (after !== undefined && compareBytes(key, after) <= 0) continue;
        out.push([key, value]);
        bytes += key.length + value.length;
        if (bytes >= limits.bytes || out.length >= limits.entries) break;
      }
      source.maxReadBytes = Math.max(source.maxReadBytes, bytes);
      return out;
    },
  };
  return source;
}

function randomBuckets(random: () => number): BboltBucket[] {
  const buckets: BboltBucket[] = [];
  const count = 1 + Math.floor(random() * 12);
  for (let b = 0; b < count; b++) {
    const entries: Array<[Uint8Array, Uint8Array]> = [];
    const size = Math.floor(random() ** 3 * 5000);
    for (let i = 0; i < size; i++) {
      const key = new Uint8Array(4 + Math.floor(random() * 30));
      new DataView(key.buffer).setUint32(0, i);
      const valueBytes = random() < 0.01 ? Math.floor(random() * 20_000) : Math.floor(random() * 300);
      entries.push([key, new Uint8Array(valueBytes).fill(i & 0xff)]);
    }
    buckets.push({ name: new TextEncoder().encode(`bucket-${b}-${'n'.repeat(Math.floor(random() * 40))}`), entries });
  }
  return buckets;
}

async function collect(pages: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const page of pages) parts.push(page);
  return Buffer.concat(parts);
}

test('the streamed file equals the in-memory writer output byte for byte', async () => {
  const random = prng(seed);
  for (let round = 0; round < 20; round++) {
    const buckets = randomBuckets(random);
    const source = memorySource(buckets);
    const chunkBytes = 1 + Math.floor(random() * 50_000);
    const readChunkEntries = 1 + Math.floor(random() * 2000);
    const stream = await streamBbolt(source, { readChunkBytes: chunkBytes, readChunkEntries,
      pause: () => Promise.resolve() });
    const streamed = await collect(stream.pages);
    const whole = Buffer.from(writeBbolt(buckets));
    assert.equal(stream.sizeBytes, whole.length);
    assert.ok(streamed.equals(whole), `round ${round} differs`);
    assert.ok(source.maxReadBytes < chunkBytes + 25_000, 'reads stay near the chunk bound');
    assert.equal(readBbolt(streamed).buckets.size, buckets.length);
  }
});

test('a source that changes between the passes is refused', async () => {
  const entries: Array<[Uint8Array, Uint8Array]> = Array.from({ length: 500 },
    (_, i) => [new Uint8Array([1, i >> 8, i & 0xff]), new Uint8Array(40)]);
  const buckets = [{ name: new TextEncoder().encode('key'), entries }];
  const stream = await streamBbolt(memorySource(buckets), { pause: () => Promise.resolve() });
  entries.push([new Uint8Array([2]), new Uint8Array(1)]);
  await assert.rejects(collect(stream.pages), /grew between its two passes/);
});
