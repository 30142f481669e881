import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from './backend.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);

/** Polls `condition` every few ms until it holds or `timeoutMs` passes (the machine may be loaded). */
async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

const tempDirs: string[] = [];
process.once('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-backend-'));
  tempDirs.push(dir);
  return join(dir, 'db');
}

function rangeText(backend: Backend, start: string, end?: string, limit?: number): string[] {
  const pairs = [...backend.range('key', enc(start), end === undefined ? undefined : enc(end), limit)];
  return pairs.map(([k, v]) => `${dec(k)}=${dec(v)}`);
}

test('reads see uncommitted writes, and data survives forceCommit + reopen', async () => {
  const path = tempPath();
  const backend = await Backend.open(path, { batchIntervalMs: 60_000 });
  backend.put('key', enc('a'), enc('1'));
  backend.put('key', enc('c'), enc('3'));
  backend.put('meta', enc('x'), enc('m'));
  assert.equal(dec(backend.get('key', enc('a'))), '1');
  assert.deepEqual(rangeText(backend, 'a'), ['a=1', 'c=3']);
  await backend.forceCommit();
  backend.put('key', enc('b'), enc('2'));
  backend.delete('key', enc('c'));
  assert.deepEqual(rangeText(backend, 'a'), ['a=1', 'b=2']);
  assert.deepEqual(rangeText(backend, 'a', 'b'), ['a=1']);
  assert.deepEqual(rangeText(backend, 'a', undefined, 1), ['a=1']);
  await backend.close();
  const reopened = await Backend.open(path);
  assert.deepEqual(rangeText(reopened, 'a'), ['a=1', 'b=2']);
  assert.equal(dec(reopened.get('meta', enc('x'))), 'm');
  assert.equal(reopened.get('key', enc('c')), undefined);
  await reopened.close();
});

test('reads overlay the batch being committed', async () => {
  const backend = await Backend.open(tempPath(), { batchIntervalMs: 60_000 });
  for (let i = 0; i < 100; i++) backend.put('key', enc(`k${String(i).padStart(3, '0')}`), enc(`${i}`));
  const commit = backend.forceCommit();
  backend.put('key', enc('k000'), enc('new'));
  backend.delete('key', enc('k001'));
  assert.equal(dec(backend.get('key', enc('k050'))), '50');
  assert.deepEqual(rangeText(backend, 'k000', 'k003'), ['k000=new', 'k002=2']);
  await commit;
  assert.deepEqual(rangeText(backend, 'k000', 'k003'), ['k000=new', 'k002=2']);
  await backend.close();
});

test('batch limit and interval trigger commits; holds defer them', async () => {
  const durations: number[] = [];
  const backend = await Backend.open(tempPath(), {
    batchLimit: 10, batchIntervalMs: 5, onCommit: (ms) => durations.push(ms),
  });
  const release = backend.holdCommits();
  for (let i = 0; i < 25; i++) backend.put('key', enc(`k${i}`), enc('v'));
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(durations.length, 0);
  release();
  assert.ok(await waitFor(() => durations.length >= 1), 'limit commit after release');
  const before = durations.length;
  backend.put('key', enc('late'), enc('v'));
  assert.ok(await waitFor(() => durations.length > before), 'interval commit');
  await backend.close();
});

test('defrag keeps data, shrinks the file, and leftovers are removed on open', async () => {
  const path = tempPath();
  const backend = await Backend.open(path);
  const value = new Uint8Array(1000).fill(7);
  for (let i = 0; i < 2000; i++) backend.put('key', enc(`k${String(i).padStart(5, '0')}`), value);
  await backend.forceCommit();
  for (let i = 0; i < 1990; i++) backend.delete('key', enc(`k${String(i).padStart(5, '0')}`));
  await backend.forceCommit();
  const before = backend.sizeBytes();
  assert.ok(backend.sizeInUseBytes() < before);
  const defrag = backend.defrag();
  backend.put('key', enc('during'), enc('d'));
  assert.equal(rangeText(backend, 'k').length, 10);
  await defrag;
  assert.ok(backend.sizeBytes() < before / 4, `size ${backend.sizeBytes()} vs ${before}`);
  assert.equal(dec(backend.get('key', enc('during'))), 'd');
  assert.equal(rangeText(backend, 'k').length, 10);
  await backend.close();
  writeFileSync(`${path}.defrag-999-1`, 'garbage');
  writeFileSync(`${path}.defrag-999-1-lock`, 'garbage');
  const reopened = await Backend.open(path);
  assert.equal(rangeText(reopened, 'k').length, 10);
  assert.equal(dec(reopened.get('key', enc('during'))), 'd');
  assert.deepEqual(readdirSync(join(path, '..')).filter((n) => n.includes('defrag')), []);
  await reopened.close();
});

test('copyTo writes a consistent compacted copy that opens as a backend', async () => {
  const path = tempPath();
  const backend = await Backend.open(path);
  backend.put('key', enc('a'), enc('1'));
  backend.put('members', enc('m1'), enc('x'));
  const target = `${path}.copy`;
  await backend.copyTo(target);
  backend.put('key', enc('b'), enc('2'));
  await backend.close();
  const copy = await Backend.open(target);
  assert.deepEqual(rangeText(copy, 'a'), ['a=1']);
  assert.equal(dec(copy.get('members', enc('m1'))), 'x');
  await copy.close();
});

test('repeated defrags keep one defrag lock file (the open environment\'s) and no temp data files', async () => {
  const path = tempPath();
  const backend = await Backend.open(path, { batchIntervalMs: 60_000 });
  for (let round = 0; round < 3; round++) {
    backend.put('key', enc(`r${round}`), enc(`${round}`));
    await backend.defrag();
  }
  const defragFiles = readdirSync(join(path, '..')).filter((n) => n.includes('defrag'));
  assert.equal(defragFiles.length, 1, defragFiles.join(','));
  assert.ok(defragFiles[0]!.endsWith('-lock'));
  await backend.close();
  const reopened = await Backend.open(path);
  assert.deepEqual(rangeText(reopened, 'r'), ['r0=0', 'r1=1', 'r2=2']);
  await reopened.close();
});

test('close() ends a read view that a running defrag waits for, instead of hanging', { timeout: 30_000 }, async () => {
  const path = tempPath();
  const backend = await Backend.open(path, { batchIntervalMs: 60_000 });
  backend.put('key', enc('a'), enc('1'));
  const view = await backend.openReadView();
  const defrag = backend.defrag();
  backend.put('key', enc('b'), enc('2'));
  const closed = backend.close();
  assert.equal(backend.close(), closed, 'a second close() returns the same promise');
  await Promise.all([defrag, closed]);
  assert.throws(() => view.readAfter('key', undefined, 1024, 10), /closed/);
  const reopened = await Backend.open(path);
  assert.deepEqual(rangeText(reopened, 'a'), ['a=1', 'b=2']);
  await reopened.close();
});
