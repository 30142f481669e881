import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat, truncate } from 'node:fs/promises';
import { basename } from 'node:path';
import { AssertionError } from '../base/assert.js';
import { Wal, nextSyncAverageMs, readWalRecords, syncBlocks } from './wal.js';
import { entries, entry, recordsEnd, tempDir, trimPreallocated } from './test-support.js';

const META = new TextEncoder().encode('cluster=1 member=2');
const ZERO = { index: 0, term: 0 };
/** For tests of logic rather than durability: skip fsync so they stay fast on slow disks. */
const FAST = { unsafeNoFsync: true };

test('round trip: create, save, close, open', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    assert.equal(await Wal.exists(dir), false);
    const wal = await Wal.create(dir, META);
    await wal.save({ term: 1, vote: 0xfedcba9876543210n, commit: 2 }, entries(1, 3, 1), true);
    await wal.close();
    assert.equal(await Wal.exists(dir), true);
    const { wal: again, read } = await Wal.open(dir, ZERO);
    assert.deepEqual(read.metadata, META);
    assert.deepEqual(read.hardState, { term: 1, vote: 0xfedcba9876543210n, commit: 2 });
    assert.deepEqual(read.entries, entries(1, 3, 1));
    assert.deepEqual(read.snapshot, ZERO);
    assert.equal(read.repairedTornTail, false);
    await again.close();
  } finally { await cleanup(); }
});

test('fdatasync blocks while the moving average is at most blockingSyncMaxMs; 0 always uses the pool', () => {
  assert.equal(syncBlocks(0, {}), true, 'a new WAL starts blocking (default 1 ms)');
  assert.equal(syncBlocks(1, {}), true);
  assert.equal(syncBlocks(1.01, {}), false);
  assert.equal(syncBlocks(0, { blockingSyncMaxMs: 0 }), false);
  assert.equal(syncBlocks(4, { blockingSyncMaxMs: 5 }), true);
  // A slow disk moves the average over the limit within a few fsyncs, a fast one brings it back.
  let average = 0.3;
  let slow = 0;
  while (syncBlocks(average, {})) { average = nextSyncAverageMs(average, 10); slow++; }
  assert.equal(slow, 1, 'one 10 ms fsync is enough to leave blocking mode');
  let fast = 0;
  while (!syncBlocks(average, {})) { average = nextSyncAverageMs(average, 0.2); fast++; }
  assert.ok(fast >= 3 && fast <= 12, `back to blocking after ${fast} fast fsyncs`);
});

test('saves are durable and readable with blocking and with thread-pool fdatasync', async () => {
  for (const blockingSyncMaxMs of [0, 1_000]) {
    const { dir, cleanup } = await tempDir();
    try {
      const synced: number[] = [];
      const wal = await Wal.create(dir, META, { blockingSyncMaxMs, onFsync: (ms) => synced.push(ms) });
      for (let i = 1; i <= 5; i++) await wal.save({ term: 1, vote: 0n, commit: i - 1 }, entries(i, i, 1), true);
      await wal.close();
      assert.equal(synced.length, 5);
      const { wal: again, read } = await Wal.open(dir, ZERO);
      assert.deepEqual(read.entries, entries(1, 5, 1));
      assert.equal(read.hardState.commit, 4);
      await again.close();
    } finally { await cleanup(); }
  }
  await assert.rejects(Wal.create('/nonexistent-never', META, { blockingSyncMaxMs: -1 }), AssertionError);
});

test('a blocking fdatasync runs on the calling thread: no event-loop turn passes during the save', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const wal = await Wal.create(dir, META, { blockingSyncMaxMs: 1_000 });
    for (let i = 1; i <= 3; i++) {
      let turned = false;
      setImmediate(() => { turned = true; });
      await wal.save({ term: 1, vote: 0n, commit: 0 }, entries(i, i, 1), true);
      assert.equal(turned, false, 'the fsync did not go through the thread pool');
      await new Promise((resolve) => setImmediate(resolve));
    }
    await wal.close();
  } finally { await cleanup(); }
});

test('fresh WAL reads as empty with zero HardState', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await (await Wal.create(dir, new Uint8Array())).close();
    const { wal, read } = await Wal.open(dir, ZERO);
    assert.deepEqual(read, {
      metadata: new Uint8Array(), hardState: { term: 0, vote: 0n, commit: 0 }, entries: [], snapshot: ZERO,
      repairedTornTail: false,
    });
    await wal.close();
  } finally { await cleanup(); }
});

test('create fails if a WAL exists; open fails if none', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await assert.rejects(Wal.open(dir, ZERO), /no segments/);
    await (await Wal.create(dir, META)).close();
    await assert.rejects(Wal.create(dir, META), /already contains a WAL/);
    assert.equal(await Wal.exists(dir + '/missing'), false);
  } finally { await cleanup(); }
});

test('reopen and append; later writes override earlier ones at the same index', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const wal = await Wal.create(dir, META);
    await wal.save({ term: 1, vote: 1n, commit: 1 }, entries(1, 5, 1), true);
    await wal.close();
    const first = await Wal.open(dir, ZERO);
    assert.equal(first.read.entries.length, 5);
    // Raft conflict: a new leader overwrites the uncommitted suffix from index 3.
    await first.wal.save({ term: 2, vote: 3n, commit: 2 }, [entry(3, 2, 'x3'), entry(4, 2, 'x4')], true);
    await first.wal.save(undefined, [entry(5, 2, 'x5')], false);
    await first.wal.close();
    const second = await Wal.open(dir, ZERO);
    assert.deepEqual(second.read.entries.map((e) => [e.index, e.term]), [[1, 1], [2, 1], [3, 2], [4, 2], [5, 2]]);
    assert.deepEqual(second.read.entries[3]!.data, new TextEncoder().encode('x4'));
    assert.deepEqual(second.read.hardState, { term: 2, vote: 3n, commit: 2 });
    await second.wal.close();
  } finally { await cleanup(); }
});

test('segments are cut at segmentSizeBytes and read back across segments', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const wal = await Wal.create(dir, META, { segmentSizeBytes: 512, ...FAST });
    for (let i = 1; i <= 60; i++) await wal.save({ term: 1, vote: 0n, commit: i - 1 }, [entry(i, 1)], i % 2 === 0);
    const paths = wal.segments();
    assert.ok(paths.length >= 4, `expected several segments, got ${paths.length}`);
    assert.deepEqual((await readdir(dir)).sort(), paths.map((p) => basename(p)));
    assert.equal(basename(paths[0]!), '0000000000000000-0000000000000000.wal');
    for (const path of paths.slice(0, -1)) assert.ok((await stat(path)).size >= 512);
    await wal.close();
    const { wal: again, read } = await Wal.open(dir, ZERO, { segmentSizeBytes: 512, ...FAST });
    assert.deepEqual(read.entries, entries(1, 60, 1));
    assert.equal(read.hardState.commit, 59);
    await again.save(undefined, entries(61, 70, 1), true);
    await again.close();
    const third = await Wal.open(dir, { index: 0, term: 0 });
    assert.deepEqual(third.read.entries, entries(1, 70, 1));
    await third.wal.close();
  } finally { await cleanup(); }
});

test('the last segment is preallocated; a cut trims the finished one to its last record', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const options = { segmentSizeBytes: 4096, ...FAST };
    const wal = await Wal.create(dir, META, options);
    assert.equal((await stat(wal.segments()[0]!)).size, 4096, 'a new WAL is preallocated');
    for (let i = 1; i <= 40; i++) await wal.save({ term: 1, vote: 0n, commit: i - 1 }, [entry(i, 1, 'x'.repeat(200))], true);
    const paths = wal.segments();
    assert.ok(paths.length >= 2, `expected a cut, got ${paths.length} segment(s)`);
    const records = await readWalRecords(dir);
    for (const path of paths.slice(0, -1)) {
      const last = records.filter((r) => r.file === path).at(-1)!;
      assert.equal((await stat(path)).size, last.offset + last.sizeBytes, `${basename(path)} ends at its last record`);
    }
    assert.equal((await stat(paths.at(-1)!)).size, 4096, 'the new last segment is preallocated');
    await wal.close();
    // A clean reopen is not a repair, and keeps the preallocation.
    const { wal: again, read } = await Wal.open(dir, ZERO, options);
    assert.equal(read.repairedTornTail, false);
    assert.deepEqual(read.entries.map((e) => e.index), entries(1, 40, 1).map((e) => e.index));
    assert.equal((await stat(paths.at(-1)!)).size, 4096);
    await again.close();
    // A segment cut short (a WAL written without preallocation, or a power loss) is extended again.
    const end = await recordsEnd(dir);
    await truncate(end.file, end.offset);
    const third = await Wal.open(dir, ZERO, options);
    assert.equal(third.read.repairedTornTail, false);
    assert.equal((await stat(end.file)).size, 4096);
    await third.wal.save(undefined, [entry(41, 1)], true);
    await third.wal.close();
    const fourth = await Wal.open(dir, ZERO, options);
    assert.equal(fourth.read.entries.at(-1)!.index, 41);
    await fourth.wal.close();
  } finally { await cleanup(); }
});

test('snapshot markers: open from a marker returns the entries after it and its confState', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const wal = await Wal.create(dir, META);
    await wal.save({ term: 2, vote: 1n, commit: 8 }, entries(1, 10, 2), true);
    const confState = { voters: [1n, 2n, 0xffffffffffffffffn], learners: [4n], votersOutgoing: [], learnersNext: [],
      autoLeave: false };
    await wal.saveSnapshot({ index: 5, term: 2, confState });
    await wal.close();
    const atMarker = await Wal.open(dir, { index: 5, term: 2 });
    assert.deepEqual(atMarker.read.snapshot, { index: 5, term: 2, confState });
    assert.deepEqual(atMarker.read.entries, entries(6, 10, 2));
    await atMarker.wal.close();
    const beyond = await Wal.open(dir, { index: 7, term: 2 });
    assert.equal(beyond.read.snapshot.index, 5, 'latest marker <= requested');
    assert.deepEqual(beyond.read.entries, entries(8, 10, 2));
    await beyond.wal.close();
    const before = await Wal.open(dir, { index: 3, term: 2 });
    assert.deepEqual(before.read.snapshot, ZERO);
    await before.wal.close();
  } finally { await cleanup(); }
});

test('a snapshot received from the leader moves the log forward', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const wal = await Wal.create(dir, META);
    await wal.save({ term: 1, vote: 0n, commit: 2 }, entries(1, 3, 1), true);
    await wal.saveSnapshot({ index: 100, term: 4 });
    await wal.save({ term: 4, vote: 0n, commit: 101 }, entries(101, 102, 4), true);
    await wal.close();
    const { wal: again, read } = await Wal.open(dir, { index: 100, term: 4 });
    assert.deepEqual(read.entries, entries(101, 102, 4));
    await again.close();
  } finally { await cleanup(); }
});

test('opening ahead of the log records the requested marker so appends continue without a gap', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const wal = await Wal.create(dir, META);
    await wal.save({ term: 1, vote: 0n, commit: 3 }, entries(1, 3, 1), true);
    await wal.close();
    const ahead = await Wal.open(dir, { index: 50, term: 3 });
    assert.deepEqual(ahead.read.entries, []);
    assert.deepEqual(ahead.read.snapshot, { index: 50, term: 3 });
    await ahead.wal.save({ term: 3, vote: 0n, commit: 51 }, entries(51, 52, 3), true);
    await ahead.wal.close();
    const again = await Wal.open(dir, { index: 50, term: 3 });
    assert.deepEqual(again.read.entries, entries(51, 52, 3));
    await again.wal.close();
  } finally { await cleanup(); }
});

test('releaseTo deletes whole segments below the index and keeps the one containing it', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const wal = await Wal.create(dir, META, { segmentSizeBytes: 400, ...FAST });
    for (let i = 1; i <= 40; i++) await wal.save({ term: 1, vote: 0n, commit: i }, [entry(i, 1)], true);
    await wal.saveSnapshot({ index: 25, term: 1 });
    const before = wal.segments();
    const firstIndexes = before.map((p) => parseInt(basename(p).slice(17, 33), 16));
    await wal.releaseTo(25);
    const after = wal.segments();
    const keepFrom = firstIndexes.findLastIndex((first) => first <= 25);
    assert.ok(keepFrom > 0);
    assert.deepEqual(after, before.slice(keepFrom));
    assert.deepEqual((await readdir(dir)).sort(), after.map((p) => basename(p)));
    await wal.releaseTo(0);
    assert.deepEqual(wal.segments(), after, 'releasing to an older index deletes nothing');
    await wal.close();
    const { wal: again, read } = await Wal.open(dir, { index: 25, term: 1 }, { segmentSizeBytes: 400, ...FAST });
    assert.deepEqual(read.entries, entries(26, 40, 1));
    assert.deepEqual(read.hardState, { term: 1, vote: 0n, commit: 40 });
    assert.equal(read.snapshot.index, 25);
    await again.close();
    await assert.rejects(Wal.open(dir, ZERO), /does not follow the requested snapshot index 0/);
  } finally { await cleanup(); }
});

test('releaseTo with maxFiles keeps at most that many files (etcd --max-wals); 0 keeps every file', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const wal = await Wal.create(dir, META, { segmentSizeBytes: 400, ...FAST });
    for (let i = 1; i <= 60; i++) await wal.save({ term: 1, vote: 0n, commit: i }, [entry(i, 1)], true);
    await wal.saveSnapshot({ index: 55, term: 1 });
    const before = wal.segments();
    assert.ok(before.length >= 6, `expected many segments, got ${before.length}`);
    await wal.releaseTo(55, 0);
    assert.deepEqual(wal.segments(), before, '0 is unlimited retention');
    await wal.releaseTo(55, 4);
    assert.deepEqual(wal.segments(), before.slice(-4), 'the oldest released files go until 4 are left');
    assert.deepEqual((await readdir(dir)).sort(), before.slice(-4).map((p) => basename(p)));
    await wal.releaseTo(0, 1);
    assert.equal(wal.segments().length, 4, 'files the snapshot does not cover are never deleted');
    await wal.close();
  } finally { await cleanup(); }
});

test('crash simulation: unsynced writes lost (file truncated to its last fsynced size) still opens', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const wal = await Wal.create(dir, META);
    await wal.save({ term: 1, vote: 0n, commit: 0 }, entries(1, 4, 1), true);
    const [path] = wal.segments();
    const syncedSize = (await recordsEnd(dir)).offset;
    await wal.save({ term: 1, vote: 0n, commit: 4 }, entries(5, 9, 1), false);
    const fullSize = (await recordsEnd(dir)).offset;
    await wal.close();
    const boundaries = new Set((await readWalRecords(dir)).map((r) => r.offset + r.sizeBytes));
    for (const size of [syncedSize, syncedSize + 7, Math.floor((syncedSize + fullSize) / 2), fullSize - 1]) {
      const copy = await tempDir();
      try {
        await copyDir(dir, copy.dir);
        await truncate(`${copy.dir}/${basename(path!)}`, size);
        const { wal: again, read } = await Wal.open(copy.dir, ZERO);
        assert.deepEqual(read.entries.slice(0, 4), entries(1, 4, 1));
        assert.equal(read.repairedTornTail, !boundaries.has(size));
        await again.save(undefined, [entry(read.entries.length + 1, 2)], true);
        await again.close();
        const third = await Wal.open(copy.dir, ZERO);
        assert.equal(third.read.entries.at(-1)!.term, 2);
        await third.wal.close();
      } finally { await copy.cleanup(); }
    }
  } finally { await cleanup(); }
});

test('at most one save in flight (asserted); metrics hooks; unsafeNoFsync', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const fsyncs: number[] = [];
    const writes: number[] = [];
    const wal = await Wal.create(dir, META, {
      onFsync: (ms) => fsyncs.push(ms), onWrite: (bytes) => writes.push(bytes),
    });
    const first = wal.save(undefined, entries(1, 2, 1), true);
    await assert.rejects(wal.save(undefined, entries(3, 3, 1), true), AssertionError);
    await first;
    assert.equal(fsyncs.length, 1);
    assert.equal(writes.length, 1);
    await wal.save(undefined, [], false);
    assert.equal(writes.length, 1, 'nothing to write');
    await assert.rejects(wal.save(undefined, [entry(9, 1)], true), AssertionError, 'gap is a programmer error');
    await wal.close();
    const { wal: unsafe } = await Wal.open(dir, ZERO, { unsafeNoFsync: true, onFsync: () => assert.fail('fsync') });
    await unsafe.save(undefined, [entry(3, 1)], true);
    await unsafe.close();
  } finally { await cleanup(); }
});

test('readWalRecords lists every record in order', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const wal = await Wal.create(dir, META, { segmentSizeBytes: 256 });
    for (let i = 1; i <= 6; i++) await wal.save({ term: 1, vote: 0n, commit: i }, [entry(i, 1)], true);
    await wal.close();
    const records = await readWalRecords(dir);
    const types = records.map((r) => r.type);
    assert.deepEqual(types.slice(0, 3), ['crc', 'metadata', 'snapshot']);
    assert.equal(types.filter((t) => t === 'entry').length, 6);
    assert.ok(types.filter((t) => t === 'crc').length >= 2);
    for (let i = 1; i < records.length; i++) {
      const [a, b] = [records[i - 1]!, records[i]!];
      if (a.file === b.file) assert.equal(b.offset, a.offset + a.sizeBytes);
    }
  } finally { await cleanup(); }
});

async function copyDir(source: string, target: string): Promise<void> {
  const { cp } = await import('node:fs/promises');
  await cp(source, target, { recursive: true });
}

test('readWalRecords reports a torn tail without repairing it', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const wal = await Wal.create(dir, META, FAST);
    await wal.save(undefined, entries(1, 3, 1), true);
    const [path] = wal.segments();
    await wal.close();
    await trimPreallocated(dir);
    const size = (await stat(path!)).size;
    await truncate(path!, size - 5);
    const records = await readWalRecords(dir);
    const torn = records.at(-1)!;
    assert.equal(torn.type, 'tornTail');
    assert.equal(records.filter((r) => r.type === 'entry').length, 2);
    assert.equal(torn.offset + torn.sizeBytes, size - 5);
    assert.equal((await stat(path!)).size, size - 5, 'left in place');
  } finally { await cleanup(); }
});

test('a leftover .tmp from an interrupted create is not a WAL and is cleaned up by create', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/0000000000000000-0000000000000000.wal.tmp`, new Uint8Array(10));
    assert.equal(await Wal.exists(dir), false);
    await (await Wal.create(dir, META, FAST)).close();
    assert.deepEqual(await readdir(dir), ['0000000000000000-0000000000000000.wal']);
  } finally { await cleanup(); }
});
