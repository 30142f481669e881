/**
 * `tetcdutl snapshot restore --bump-revision N --mark-compacted` end to end (issue 6), as etcdutl 3.6
 * documents it: the restored member's revision moves to newest + N (etcdutl writes an empty value at
 * that revision in `key` and schedules a compaction there), a watcher resuming from an old revision gets
 * "compacted", and new writes continue above the bump. Debian ships etcdctl 3.4, which has no
 * --bump-revision and no etcdutl, so the oracle is etcdutl's documented behaviour (see
 * docs/formats/snapshot.md §Restore); the restored file is also checked with `etcdctl snapshot status`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { ServerProcess } from '../helpers/server.js';
import { runTetcd } from './snapshot-support.js';

const BUMP = 1000;
const dir = mkdtempSync(join(tmpdir(), 'tetcd-bump-'));
let server: ServerProcess | undefined;
after(async () => {
  await server?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function ctl(endpoint: string, args: string[]): Promise<string> {
  const result = await runEtcdctl(endpoint, args);
  assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

test('restore with --bump-revision --mark-compacted moves the revision and compacts old history', { timeout: 90_000 }, async () => {
  const s = await ServerProcess.start({ kind: 'tetcd', name: 'bump' });
  server = s;
  for (let i = 0; i < 5; i++) await ctl(s.endpoint, ['put', `k${i % 2}`, `v${i}`]);
  const file = join(dir, 'snap.db');
  await ctl(s.endpoint, ['snapshot', 'save', file]);
  const before = JSON.parse(await ctl(s.endpoint, ['snapshot', 'status', file, '-w', 'json'])) as { revision: number };
  assert.equal(before.revision, 6);

  await s.stop();
  rmSync(s.dataDir, { recursive: true, force: true });
  const refused = await runTetcd(['utl', 'snapshot', 'restore', file, `--data-dir=${s.dataDir}`, `--bump-revision=${BUMP}`]);
  assert.notEqual(refused.exitCode, 0);
  assert.match(refused.stderr, /--mark-compacted required if --bump-revision > 0/);
  const restored = await runTetcd(['utl', 'snapshot', 'restore', file, `--name=${s.name}`, `--data-dir=${s.dataDir}`,
    `--initial-cluster=${s.name}=${s.peerUrl}`, `--initial-advertise-peer-urls=${s.peerUrl}`,
    `--bump-revision=${BUMP}`, '--mark-compacted']);
  assert.equal(restored.exitCode, 0, restored.stderr);
  assert.match(restored.stderr, /bumping latest revision/);
  assert.match(restored.stderr, /marking revision compacted/);
  await s.restart();

  const bumped = 6 + BUMP;
  const get = JSON.parse(await ctl(s.endpoint, ['get', 'k0', '-w', 'json'])) as { header: { revision: number } };
  assert.equal(get.header.revision, bumped);
  assert.match(await ctl(s.endpoint, ['get', 'k0']), /^k0\nv4\n$/);
  const old = await runEtcdctl(s.endpoint, ['get', 'k0', '--rev=5']);
  assert.match(old.stderr, /required revision has been compacted/);
  // A watcher resuming from an old revision is told the history is compacted.
  const watch = await runEtcdctl(s.endpoint, ['watch', 'k0', '--rev=3'], { timeoutMs: 10_000 });
  assert.match(watch.stdout + watch.stderr, /compacted/);
  const put = JSON.parse(await ctl(s.endpoint, ['put', 'k9', 'after', '-w', 'json'])) as { header: { revision: number } };
  assert.equal(put.header.revision, bumped + 1);

  const again = join(dir, 'again.db');
  await ctl(s.endpoint, ['snapshot', 'save', again]);
  const status = JSON.parse(await ctl(s.endpoint, ['snapshot', 'status', again, '-w', 'json'])) as { revision: number };
  assert.equal(status.revision, bumped + 1);
});
