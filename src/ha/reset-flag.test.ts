import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  alreadyResetMessage, clearResetFlag, resetDoneMessage, resetFlagExists, resetFlagPath, writeResetFlag,
} from './reset-flag.js';

const root = mkdtempSync(join(tmpdir(), 'tetcd-reset-flag-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('the marker is written durably beside member/, found, and removed once', async () => {
  assert.equal(resetFlagPath(root), join(root, 'reset-flag'));
  assert.equal(resetFlagExists(root), false);
  assert.equal(await clearResetFlag(root), false);
  await writeResetFlag(root, new Date('2026-01-02T03:04:05Z'));
  assert.equal(resetFlagExists(root), true);
  assert.equal(readFileSync(resetFlagPath(root), 'utf8'), '2026-01-02T03:04:05.000Z\n');
  assert.equal(await clearResetFlag(root), true);
  assert.equal(resetFlagExists(root), false);
});

test('messages follow K3s with tetcd paths', () => {
  assert.equal(resetDoneMessage('/d'), 'Managed etcd cluster membership has been reset, restart without ' +
    '--cluster-reset flag now. Backup and delete /d on each peer server and rejoin the nodes');
  const again = alreadyResetMessage('/d', 's1');
  assert.match(again, /^Managed etcd cluster membership was previously reset/);
  assert.ok(again.includes('start s1 normally') && again.endsWith('delete the file at /d/reset-flag'));
});
