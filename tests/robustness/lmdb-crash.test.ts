/**
 * LMDB power-loss model, below the cluster: a process is SIGKILLed by a crash point inside an LMDB write
 * transaction (`backend.mid-commit`: half of a batch written; `backend.compaction-mid-commit`: at the first
 * compaction delete). LMDB commits are fsynced, so after the crash the file must hold exactly the previous
 * commit: none of the interrupted batch, all of the one before. (The cluster runs check that replay from
 * the consistent index then restores every acknowledged write.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../src/backend/backend.js';

const CHILD = new URL('./fixtures/lmdb-crash-child.ts', import.meta.url).pathname;
const CHILD_TIMEOUT_MS = 60_000;

async function crashAndReopen(point: string, mode: string): Promise<Map<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-lmdb-crash-'));
  try {
    const path = join(dir, 'db');
    const child = spawnSync(process.execPath, ['--import', 'tsx', CHILD, path, mode], {
      env: { ...process.env, TETCD_CRASH_POINTS: point }, encoding: 'utf8', timeout: CHILD_TIMEOUT_MS,
    });
    assert.equal(child.signal, 'SIGKILL', `the crash point did not fire: ${child.stderr}`);
    assert.match(child.stderr, new RegExp(`crash point ${point.split(':')[0]!.replace('.', '\\.')}`));
    const backend = await Backend.open(path);
    const out = new Map<string, string>();
    for (const [k, v] of backend.range('key', new Uint8Array([0]))) {
      out.set(new TextDecoder().decode(k), new TextDecoder().decode(v));
    }
    await backend.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a crash inside an LMDB commit keeps the previous commit whole and none of the interrupted one', async () => {
  // The first commit of the child is batch 1; the crash fires in the second (batch 2).
  const kept = await crashAndReopen('backend.mid-commit:2', 'puts');
  assert.equal(kept.size, 100);
  assert.deepEqual([...new Set(kept.values())], ['committed']);
});

test('a crash inside a compaction commit loses no key and deletes none', async () => {
  const kept = await crashAndReopen('backend.compaction-mid-commit', 'compaction');
  assert.equal(kept.size, 100);
  assert.deepEqual([...new Set(kept.values())], ['committed']);
});
