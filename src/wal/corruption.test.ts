import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CorruptionError } from '../base/errors.js';
import { crcPayload, metadataPayload } from './codec.js';
import { RecordType, encodeRecords, isZeroRange, type PayloadWriter } from './record.js';
import { Replay, decodeRecord } from './replay.js';
import { scanSegment } from './scan.js';
import { segmentName } from './segments.js';
import { Wal, readWalRecords, type WalRecordInfo } from './wal.js';
import { appendZeros, entries, entry, flipBit, recordsEnd, tempDir, trimPreallocated } from './test-support.js';

const META = new TextEncoder().encode('meta');
const ZERO = { index: 0, term: 0 };
/** These tests check structure, not durability: skip fsync so they stay fast on slow disks. */
const FAST = { unsafeNoFsync: true, segmentSizeBytes: 64 * 1024 };

/** A one-segment WAL: entries 1..6 and a HardState over three saves. */
async function buildSingle(dir: string): Promise<void> {
  const wal = await Wal.create(dir, META, FAST);
  await wal.save({ term: 1, vote: 1n, commit: 0 }, entries(1, 2, 1), true);
  await wal.save({ term: 1, vote: 1n, commit: 2 }, entries(3, 5, 1), true);
  await wal.save(undefined, [entry(6, 1, 'last-record-data')], true);
  await wal.close();
  await trimPreallocated(dir);
}

/** A WAL of several small segments: entries 1..30. */
async function buildMulti(dir: string): Promise<void> {
  const wal = await Wal.create(dir, META, { ...FAST, segmentSizeBytes: 300 });
  for (let i = 1; i <= 30; i++) await wal.save({ term: 1, vote: 0n, commit: i - 1 }, [entry(i, 1)], true);
  await wal.close();
  await trimPreallocated(dir);
}

async function withCopy(source: string, body: (dir: string) => Promise<void>): Promise<void> {
  const copy = await tempDir();
  try {
    await cp(source, copy.dir, { recursive: true });
    await body(copy.dir);
  } finally { await copy.cleanup(); }
}

async function expectCorruption(dir: string, file: string, offset: number, why: string): Promise<void> {
  await assert.rejects(Wal.open(dir, ZERO, FAST), (error: unknown) => {
    assert.ok(error instanceof CorruptionError, `${why}: expected CorruptionError, got ${String(error)}`);
    assert.equal(error.code, 'ERR_CORRUPTION');
    assert.equal(basename(error.file), basename(file), why);
    assert.equal(error.offset, offset, `${why}: ${error.message}`);
    return true;
  });
}

function flipped(bytes: Buffer, offset: number, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[offset] = copy[offset]! ^ (1 << bit);
  return copy;
}

/** Scans and replays one segment's bytes as open() would, expecting a CorruptionError at `offset`. */
function expectCorruptionInMemory(
  file: string, bytes: Buffer, isLast: boolean, offset: number, why: string, chainIn?: number,
): void {
  assert.throws(() => {
    const replay = new Replay(ZERO);
    const scan = scanSegment(file, bytes, isLast, chainIn);
    for (const record of scan.records) replay.apply(file, record.offset, decodeRecord(file, record));
    assert.equal(scan.torn, undefined, `${why}: treated as a torn tail`);
  }, (error: unknown) => {
    assert.ok(error instanceof CorruptionError, `${why}: expected CorruptionError, got ${String(error)}`);
    assert.equal(error.file, file, why);
    assert.equal(error.offset, offset, `${why}: ${error.message}`);
    return true;
  });
}

function recordAt(records: WalRecordInfo[], file: string, byteOffset: number): WalRecordInfo {
  const found = records.find((r) => r.file === file && r.offset <= byteOffset && byteOffset < r.offset + r.sizeBytes);
  assert.ok(found !== undefined, `no record covers ${byteOffset}`);
  return found;
}

test('torn tail at every byte offset of the last record is repaired', async () => {
  const base = await tempDir();
  try {
    await buildSingle(base.dir);
    const records = await readWalRecords(base.dir);
    const last = records.at(-1)!;
    assert.equal(last.type, 'entry');
    for (let cut = last.offset; cut < last.offset + last.sizeBytes; cut++) {
      await withCopy(base.dir, async (dir) => {
        const path = join(dir, basename(last.file));
        await truncate(path, cut);
        const { wal, read } = await Wal.open(dir, ZERO, FAST);
        assert.equal(read.repairedTornTail, cut !== last.offset, `cut at ${cut}`);
        assert.deepEqual(read.entries, entries(1, 5, 1), `cut at ${cut}`);
        assert.deepEqual(read.hardState, { term: 1, vote: 1n, commit: 2 });
        assert.equal((await recordsEnd(dir)).offset, last.offset, 'truncated to the last good record');
        assert.ok(isZeroRange(await readFile(path), last.offset, (await stat(path)).size), 'then zeros');
        await wal.save(undefined, [entry(6, 2)], true);
        await wal.close();
        const again = await Wal.open(dir, ZERO, FAST);
        assert.deepEqual(again.read.entries.at(-1), entry(6, 2));
        assert.equal(again.read.repairedTornTail, false);
        await again.wal.close();
      });
    }
  } finally { await base.cleanup(); }
});

test('a zero-filled (preallocated) tail is free space; after a torn record it is repaired', async () => {
  const base = await tempDir();
  try {
    await buildSingle(base.dir);
    const records = await readWalRecords(base.dir);
    const last = records.at(-1)!;
    for (const [cut, zeros] of [[last.offset + last.sizeBytes, 4096], [last.offset + 5, 1000],
      [last.offset + 20, 3], [last.offset + 30, 64]] as const) {
      await withCopy(base.dir, async (dir) => {
        const path = join(dir, basename(last.file));
        await truncate(path, cut);
        await appendZeros(path, zeros);
        const { wal, read } = await Wal.open(dir, ZERO, FAST);
        assert.equal(read.repairedTornTail, cut !== last.offset + last.sizeBytes);
        const expected = cut === last.offset + last.sizeBytes ? 6 : 5;
        assert.deepEqual(read.entries.map((e) => e.index), entries(1, expected, 1).map((e) => e.index));
        await wal.close();
      });
    }
    // Non-zero data after a zero header is not a tail.
    await withCopy(base.dir, async (dir) => {
      const path = join(dir, basename(last.file));
      await appendZeros(path, 64);
      await writeFile(path, Buffer.concat([await readFile(path), Buffer.from([1])]));
      await expectCorruption(dir, path, last.offset + last.sizeBytes, 'zero header then data');
    });
  } finally { await base.cleanup(); }
});

test('a flipped bit anywhere before the last record, or in its header/padding, is a CorruptionError', async () => {
  const base = await tempDir();
  try {
    await buildSingle(base.dir);
    const records = await readWalRecords(base.dir);
    const last = records.at(-1)!;
    const file = last.file;
    const size = (await stat(file)).size;
    const lastPayloadEnd = last.offset + 16 + 20 + 'last-record-data'.length;
    const pristine = await readFile(file);
    for (let at = 0; at < size; at++) {
      const inLastPayload = at >= last.offset + 16 && at < lastPayloadEnd;
      if (inLastPayload) continue;
      const expectedOffset = recordAt(records, file, at).offset;
      // Every byte in memory (fast); every 13th through Wal.open on disk, flipped in place and back
      // (open() leaves a corrupt WAL untouched).
      expectCorruptionInMemory(file, flipped(pristine, at, at % 8), true, expectedOffset, `bit flip at ${at}`);
      if (at % 13 !== 0) continue;
      await flipBit(file, at, at % 8);
      await expectCorruption(base.dir, file, expectedOffset, `bit flip at ${at}`);
      await flipBit(file, at, at % 8);
    }
  } finally { await base.cleanup(); }
});

test('a flipped bit in the last record payload looks torn and is truncated (documented limit)', async () => {
  const base = await tempDir();
  try {
    await buildSingle(base.dir);
    const last = (await readWalRecords(base.dir)).at(-1)!;
    await withCopy(base.dir, async (dir) => {
      await flipBit(join(dir, basename(last.file)), last.offset + 40, 3);
      const { wal, read } = await Wal.open(dir, ZERO, FAST);
      assert.equal(read.repairedTornTail, true);
      assert.equal(read.entries.length, 5);
      await wal.close();
    });
  } finally { await base.cleanup(); }
});

test('any flipped bit in a non-last segment (even its last record) is a CorruptionError', async () => {
  const base = await tempDir();
  try {
    await buildMulti(base.dir);
    const records = await readWalRecords(base.dir);
    const files = [...new Set(records.map((r) => r.file))];
    assert.ok(files.length >= 3);
    const file = files[1]!;
    const size = (await stat(file)).size;
    const pristine = await readFile(file);
    const chainIn = scanSegment(files[0]!, await readFile(files[0]!), false, undefined).chainOut;
    for (let at = 0; at < size; at++) {
      const expectedOffset = recordAt(records, file, at).offset;
      const bit = (at * 5) % 8;
      expectCorruptionInMemory(file, flipped(pristine, at, bit), false, expectedOffset, `bit flip at ${at}`, chainIn);
      if (at % 13 !== 0) continue;
      await flipBit(file, at, bit);
      await expectCorruption(base.dir, file, expectedOffset, `bit flip at ${at}`);
      await flipBit(file, at, bit);
    }
  } finally { await base.cleanup(); }
});

test('structural damage: dropped tail of a non-last segment, sequence gap, bad name, swapped records', async () => {
  const base = await tempDir();
  try {
    await buildMulti(base.dir);
    const records = await readWalRecords(base.dir);
    const files = [...new Set(records.map((r) => r.file))];
    const [first, second, third] = [files[0]!, files[1]!, files[2]!];
    const lastOfFirst = records.filter((r) => r.file === first).at(-1)!;
    await withCopy(base.dir, async (dir) => {
      await truncate(join(dir, basename(first)), lastOfFirst.offset);
      await expectCorruption(dir, second, 0, 'dropped record at the end of a non-last segment');
    });
    await withCopy(base.dir, async (dir) => {
      await truncate(join(dir, basename(first)), lastOfFirst.offset + 3);
      await expectCorruption(dir, first, lastOfFirst.offset, 'torn record in a non-last segment');
    });
    await withCopy(base.dir, async (dir) => {
      await rm(join(dir, basename(second)));
      await expectCorruption(dir, third, 0, 'sequence gap');
    });
    await withCopy(base.dir, async (dir) => {
      await rename(join(dir, basename(third)), join(dir, 'bogus.wal'));
      await expectCorruption(dir, 'bogus.wal', 0, 'bad segment name');
    });
    await withCopy(base.dir, async (dir) => {
      const entriesInFirst = records.filter((r) => r.file === first && r.type === 'entry');
      const [a, b] = [entriesInFirst.at(-2)!, entriesInFirst.at(-1)!];
      assert.equal(a.sizeBytes, b.sizeBytes);
      const path = join(dir, basename(first));
      const bytes = await readFile(path);
      const recordA = Buffer.from(bytes.subarray(a.offset, a.offset + a.sizeBytes));
      bytes.copy(bytes, a.offset, b.offset, b.offset + b.sizeBytes);
      recordA.copy(bytes, b.offset);
      await writeFile(path, bytes);
      await expectCorruption(dir, path, a.offset, 'swapped records');
    });
  } finally { await base.cleanup(); }
});

test('a segment with different metadata is a CorruptionError', async () => {
  const base = await tempDir();
  try {
    await buildSingle(base.dir);
    const [path] = (await readWalRecords(base.dir)).map((r) => r.file);
    const { chainOut } = scanSegment(path!, await readFile(path!), true, undefined);
    const forged = encodeRecords([crcPayload(), metadataPayload(new TextEncoder().encode('other'))], chainOut);
    const forgedPath = join(base.dir, segmentName(1, 7));
    await writeFile(forgedPath, forged.bytes);
    await expectCorruption(base.dir, forgedPath, 16, 'metadata mismatch');
  } finally { await base.cleanup(); }
});

test('a checksummed record with an unknown type or a malformed payload is corruption, even at the tail', async () => {
  const base = await tempDir();
  try {
    await buildSingle(base.dir);
    const [path] = (await readWalRecords(base.dir)).map((r) => r.file);
    const pristine = await readFile(path!);
    const { chainOut } = scanSegment(path!, pristine, true, undefined);
    const bogusType = { type: 9 as unknown as PayloadWriter['type'], sizeBytes: 4, write: () => undefined };
    const shortEntry = { type: RecordType.entry, sizeBytes: 7, write: () => undefined };
    const badHardState = { type: RecordType.hardState, sizeBytes: 23, write: () => undefined };
    for (const [writer, why] of [[bogusType, 'unknown type'], [shortEntry, 'short entry'],
      [badHardState, 'bad hardState']] as const) {
      const { bytes } = encodeRecords([writer], chainOut);
      await writeFile(path!, Buffer.concat([pristine, bytes]));
      await expectCorruption(base.dir, path!, pristine.length, why);
    }
  } finally { await base.cleanup(); }
});
