import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../backend/backend.js';
import { MvccStore } from '../../mvcc/store.js';
import { Wal } from '../../wal/wal.js';
import { runUtl } from './main.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function makeDataDir(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tetcdutl-test-'));
  const walDir = join(dataDir, 'member', 'wal');
  mkdirSync(join(dataDir, 'member', 'snap'), { recursive: true });
  const wal = await Wal.create(walDir, enc('meta'));
  const entries = [1, 2, 3].map((index) => ({ term: 1, index, type: 0, data: enc(`entry-${index}`) }));
  await wal.save({ term: 1, vote: 0x8e9e05c52164694dn, commit: 3 }, entries as never, true);
  await wal.close();
  const backend = await Backend.open(join(dataDir, 'member', 'snap', 'db'));
  const store = await MvccStore.open(backend);
  const txn = store.write();
  txn.put(enc('foo'), enc('bar'), 0n);
  txn.end();
  await store.close();
  await backend.close();
  return dataDir;
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runUtl(args, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
  return { code, out, err };
}

test('version, usage and bad arguments', async () => {
  assert.match((await run(['version'])).out, /^tetcdutl version: .*\nAPI version: 3\.5\n$/);
  assert.equal((await run([])).code, 128);
  assert.equal((await run(['nope'])).code, 128);
  assert.equal((await run(['wal', 'dump'])).code, 128);
  assert.equal((await run(['wal', 'dump', '--bogus'])).code, 128);
});

test('wal dump, db dump and verify on a healthy data dir', async () => {
  const dataDir = await makeDataDir();
  try {
    const wal = await run(['wal', 'dump', '--data-dir', dataDir]);
    assert.equal(wal.code, 0, wal.err);
    assert.match(wal.out, /\tentry\tterm=1 index=3 type=EntryNormal dataBytes=7\n/);
    assert.match(wal.out, /\thardState\tterm=1 vote=8e9e05c52164694d commit=3\n/);
    const buckets = await run(['db', 'dump', '--data-dir', dataDir]);
    assert.equal(buckets.code, 0, buckets.err);
    assert.match(buckets.out, /^key\t1 keys\n/);
    const keys = await run(['db', 'dump', '--data-dir', dataDir, '--bucket', 'key']);
    assert.match(keys.out, /foo/);
    assert.equal((await run(['db', 'dump', '--data-dir', dataDir, '--bucket', 'nope'])).code, 1);
    const verify = await run(['verify', '--data-dir', dataDir]);
    assert.equal(verify.code, 0, verify.err);
    assert.match(verify.out, /OK\n$/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('verify reports WAL corruption with file and offset', async () => {
  const dataDir = await makeDataDir();
  try {
    const walDir = join(dataDir, 'member', 'wal');
    const segment = join(walDir, readdirSync(walDir).find((n) => n.endsWith('.wal'))!);
    const dump = await run(['wal', 'dump', '--wal-dir', walDir]);
    const entryLine = dump.out.split('\n').find((l) => l.includes('\tentry\t'))!;
    const offset = Number(entryLine.split('\t')[1]);
    const fd = openSync(segment, 'r+');
    writeSync(fd, Buffer.from([0xff, 0xee]), 0, 2, offset + 20);
    closeSync(fd);
    const verify = await run(['verify', '--data-dir', dataDir]);
    assert.equal(verify.code, 1);
    assert.match(verify.err, /^Error: wal: corruption in .*\.wal at offset \d+: /);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('verify reports a missing backend', async () => {
  const dataDir = await makeDataDir();
  try {
    rmSync(join(dataDir, 'member', 'snap', 'db'));
    const verify = await run(['verify', '--data-dir', dataDir]);
    assert.equal(verify.code, 1);
    assert.match(verify.err, /backend file not found/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
