import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { SnapshotChecksumError, verifySnapshotTrailer } from './file-io.js';
import { unzipFirstEntry, zipFile, ZipFormatError } from './zip.js';

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tetcd-ha-zip-'));
    try { await fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
  };
}

function pseudoRandom(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24; }
  return out;
}

test('zip round trip keeps the bytes and the entry name', withDir(async (dir) => {
  const data = Buffer.concat([pseudoRandom(70_000, 1), Buffer.alloc(100_000, 7)]);
  writeFileSync(join(dir, 'snap'), data);
  await zipFile(join(dir, 'snap'), join(dir, 'snap.zip'), 'snap', new Date(2024, 0, 2, 3, 4, 6));
  const zipped = readFileSync(join(dir, 'snap.zip'));
  assert.equal(zipped.readUInt32LE(0), 0x04034b50);
  assert.ok(zipped.length < data.length);
  assert.equal(await unzipFirstEntry(join(dir, 'snap.zip'), join(dir, 'out')), 'snap');
  assert.ok(readFileSync(join(dir, 'out')).equals(data));
}));

test('an empty file zips and unzips', withDir(async (dir) => {
  writeFileSync(join(dir, 'empty'), Buffer.alloc(0));
  await zipFile(join(dir, 'empty'), join(dir, 'empty.zip'), 'empty', new Date());
  await unzipFirstEntry(join(dir, 'empty.zip'), join(dir, 'out'));
  assert.equal(readFileSync(join(dir, 'out')).length, 0);
}));

test('corrupt archives are refused and leave no output', withDir(async (dir) => {
  const data = pseudoRandom(10_000, 2);
  writeFileSync(join(dir, 'snap'), data);
  await zipFile(join(dir, 'snap'), join(dir, 'snap.zip'), 'snap', new Date());
  const zipped = readFileSync(join(dir, 'snap.zip'));
  // Flip the stored CRC in the central directory: the data inflates but does not check.
  const central = zipped.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  const badCrc = Buffer.from(zipped);
  badCrc.writeUInt32LE((zipped.readUInt32LE(central + 16) ^ 1) >>> 0, central + 16);
  writeFileSync(join(dir, 'bad-crc.zip'), badCrc);
  await assert.rejects(unzipFirstEntry(join(dir, 'bad-crc.zip'), join(dir, 'out')), ZipFormatError);
  assert.equal(existsSync(join(dir, 'out')), false);
  writeFileSync(join(dir, 'not.zip'), Buffer.from('definitely not a zip archive'));
  await assert.rejects(unzipFirstEntry(join(dir, 'not.zip'), join(dir, 'out')), ZipFormatError);
}));

test('a stored (method 0) entry written by another tool is read', withDir(async (dir) => {
  // Hand-built archive: one stored entry "a" with content "hello" (as `zip -0` writes it).
  const content = Buffer.from('hello');
  const name = Buffer.from('a');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(10, 4); local.writeUInt32LE(crc32(content), 14);
  local.writeUInt32LE(5, 18); local.writeUInt32LE(5, 22); local.writeUInt16LE(1, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt32LE(crc32(content), 16);
  central.writeUInt32LE(5, 20); central.writeUInt32LE(5, 24); central.writeUInt16LE(1, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
  end.writeUInt32LE(47, 12); end.writeUInt32LE(36, 16);
  writeFileSync(join(dir, 's.zip'), Buffer.concat([local, name, content, central, name, end]));
  assert.equal(await unzipFirstEntry(join(dir, 's.zip'), join(dir, 'out')), 'a');
  assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'hello');
}));

test('snapshot trailer check accepts db+sha256(db) and rejects anything else', withDir(async (dir) => {
  const db = pseudoRandom(5_000, 3);
  const good = Buffer.concat([db, createHash('sha256').update(db).digest()]);
  writeFileSync(join(dir, 'good'), good);
  await verifySnapshotTrailer(join(dir, 'good'));
  const bad = Buffer.from(good);
  bad[100] = bad[100]! ^ 0xff;
  writeFileSync(join(dir, 'bad'), bad);
  await assert.rejects(verifySnapshotTrailer(join(dir, 'bad')), SnapshotChecksumError);
  writeFileSync(join(dir, 'short'), Buffer.alloc(32));
  await assert.rejects(verifySnapshotTrailer(join(dir, 'short')), SnapshotChecksumError);
}));
