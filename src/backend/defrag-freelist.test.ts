/**
 * Regression tests for issue #6: lmdb-js 3.5.x crashes (SIGSEGV in mdb_cursor_last, or "Invalid zero
 * size key" + MDB_BAD_VALSIZE) on the first commit into a compacted copy that frees enough pages to
 * need an overflow page for its free-page record. openLmdbEnv seeds the free-page database to avoid it
 * (see seedFreelist in lmdb-env.ts). Without the seed these tests kill the test process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from './backend.js';
import { freeRecordCount, openLmdbEnv } from './lmdb-env.js';

/** Enough multi-page values that rewriting them all frees a few hundred pages in one commit. */
const KEYS = 60;
const VALUE_BYTES = 20_000;
const MAP_SIZE_BYTES = 2 ** 30;

const dirs: string[] = [];
process.once('exit', () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-defrag-freelist-'));
  dirs.push(dir);
  return dir;
}

const keyOf = (i: number): Uint8Array => new TextEncoder().encode(`k${String(i).padStart(4, '0')}`);

function writeAll(backend: Backend, fill: number): void {
  for (let i = 0; i < KEYS; i++) backend.put('key', keyOf(i), new Uint8Array(VALUE_BYTES).fill(fill));
}

function assertAll(backend: Backend, fill: number): void {
  for (let i = 0; i < KEYS; i++) {
    const value = backend.get('key', keyOf(i));
    const ok = value !== undefined && value.length === VALUE_BYTES && value[0] === fill && value.at(-1) === fill;
    assert.ok(ok, `key ${i} after rewrite`);
  }
}

test('the first large commit after a defrag succeeds and survives a reopen', async () => {
  const path = join(tempDir(), 'db');
  const backend = await Backend.open(path, { batchIntervalMs: 60_000 });
  writeAll(backend, 1);
  await backend.forceCommit();
  await backend.defrag();
  writeAll(backend, 2);
  await backend.forceCommit();
  await backend.close();
  const reopened = await Backend.open(path);
  assertAll(reopened, 2);
  await reopened.close();
});

test('a copyTo image opened as a backend takes a large first commit', async () => {
  const dir = tempDir();
  const source = await Backend.open(join(dir, 'db'), { batchIntervalMs: 60_000 });
  writeAll(source, 1);
  await source.copyTo(join(dir, 'image'));
  await source.close();
  const image = await Backend.open(join(dir, 'image'), { batchIntervalMs: 60_000 });
  writeAll(image, 3);
  await image.forceCommit();
  assertAll(image, 3);
  await image.close();
});

test('every opened environment has a free-page record, compacted copies included', async () => {
  const dir = tempDir();
  const env = openLmdbEnv(join(dir, 'db'), MAP_SIZE_BYTES);
  assert.ok(freeRecordCount(env) > 0, 'fresh file');
  const dbi = env.dbis.get('key')!;
  for (let i = 0; i < KEYS; i++) void dbi.put(keyOf(i), new Uint8Array(VALUE_BYTES));
  await env.root.committed;
  await env.root.backup(join(dir, 'copy'), true);
  await env.root.close();
  const copy = openLmdbEnv(join(dir, 'copy'), MAP_SIZE_BYTES);
  assert.ok(freeRecordCount(copy) > 0, 'compacted copy');
  assert.equal(copy.dbis.get('key')!.getKeysCount(), KEYS);
  await copy.root.close();
});
