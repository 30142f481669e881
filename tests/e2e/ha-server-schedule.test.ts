/**
 * `tetcd server` runs K3s-style scheduled snapshots itself (--etcd-snapshot-schedule-cron, retention):
 * with a per-2-seconds cron and retention 2 the member writes snapshots of its own data into
 * <data-dir>/server/db/snapshots, keeps the newest two, and `tetcd snapshot ls` lists exactly those.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { TETCD_BIN } from '../helpers/binaries.js';
import { waitFor } from '../helpers/cluster-member.js';
import { ServerProcess } from '../helpers/server.js';

let server: ServerProcess | undefined;
after(async () => {
  await server?.cleanup();
});

function snapshots(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.startsWith('etcd-snapshot-')).sort();
  } catch {
    return [];
  }
}

test('the server takes scheduled snapshots with retention; tetcd snapshot ls lists them', { timeout: 120_000 }, async () => {
  server = await ServerProcess.start({ kind: 'tetcd',
    extraArgs: ['--etcd-snapshot-schedule-cron', '*/2 * * * * *', '--etcd-snapshot-retention', '2'] });
  const dir = join(server.dataDir, 'server', 'db', 'snapshots');
  // Three runs at least: the first two files, then one pruned.
  await waitFor('three scheduled snapshots', 60_000, () => Promise.resolve(
    server!.logTail(200).split('\n').filter((l) => l.includes('saved scheduled etcd snapshot')).length >= 3 ? true : undefined));
  const files = snapshots(dir);
  assert.ok(files.length >= 2 && files.length <= 3, `retention 2 keeps two (one may be in flight): ${files.join(', ')}`);
  for (const name of files.slice(0, 2)) {
    const bytes = readFileSync(join(dir, name));
    const body = bytes.subarray(0, bytes.length - 32);
    assert.deepEqual(createHash('sha256').update(body).digest(), bytes.subarray(bytes.length - 32), `${name}: sha256 trailer`);
  }
  await server.stop();
  const ls = spawnSync(process.execPath, [TETCD_BIN, 'snapshot', 'ls', '--data-dir', server.dataDir], { encoding: 'utf8' });
  assert.equal(ls.status, 0, ls.stderr);
  const listed = ls.stdout.split('\n').slice(1).filter((l) => l !== '').map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(listed.sort(), snapshots(dir));
});
