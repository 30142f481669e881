/**
 * Auto-compaction end to end (issue 6), tetcd against Debian's etcd 3.4 with the same flags:
 * `--auto-compaction-mode periodic --auto-compaction-retention 2s` (a short real interval: the check runs
 * every retention/10). Both compact to the revision seen one retention ago, never earlier than one
 * retention after it was written, log etcd's "starting/completed auto periodic compaction" lines, and
 * then answer a read at an older revision with the same "compacted" error. Retention values etcd refuses
 * ("1.5": Go's ParseDuration wants a unit) stop both at startup. Revision mode checks every 5 minutes in
 * etcd, so its rule is covered with a fake clock in src/server/auto-compactor.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ETCD_BIN, TETCD_BIN } from '../helpers/binaries.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { ServerProcess } from '../helpers/server.js';

const RETENTION_MS = 2000;
const KEYS = 10;
const COMPACTION_WAIT_MS = 20_000;
const LOG_POLL_MS = 100;
/** etcd 3.4's default (capnslog) line, and the zap line tetcd (and etcd with --logger=zap) writes. */
const ETCD_FINISHED = /Finished auto-compaction at revision (\d+)/;
const ZAP_COMPLETED = 'completed auto periodic compaction';

const servers: ServerProcess[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.cleanup()));
});

/** The revisions of the "completed auto periodic compaction" lines in the server's log, in order. */
function completedRevisions(server: ServerProcess): number[] {
  return server.logTail(2000).split('\n').flatMap((line) => {
    const text = line.includes(ZAP_COMPLETED) ? /"revision":\s*(\d+)/.exec(line)?.[1] : ETCD_FINISHED.exec(line)?.[1];
    return text === undefined ? [] : [Number(text)];
  });
}

/** Waits (polling the log) until a compaction at >= `revision` completed; resolves with its log time. */
async function waitForCompaction(server: ServerProcess, revision: number): Promise<number> {
  const deadline = performance.now() + COMPACTION_WAIT_MS;
  while (performance.now() < deadline) {
    if (completedRevisions(server).some((r) => r >= revision)) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, LOG_POLL_MS));
  }
  assert.fail(`${server.name}: no auto compaction at >= ${revision} in ${COMPACTION_WAIT_MS} ms\n${server.logTail()}`);
}

async function exercise(kind: 'etcd' | 'tetcd'): Promise<{ revisions: number[]; waitedMs: number; read: string; log: string }> {
  const server = await ServerProcess.start({ kind, name: `autocompact-${kind}`,
    extraArgs: ['--auto-compaction-mode', 'periodic', '--auto-compaction-retention', `${RETENTION_MS / 1000}s`] });
  servers.push(server);
  for (let i = 0; i < KEYS; i++) {
    const put = await runEtcdctl(server.endpoint, ['put', `k${i}`, `v${i}`]);
    assert.equal(put.exitCode, 0, put.stderr);
  }
  const lastWriteMs = performance.now();
  const lastRevision = 1 + KEYS;
  const seenMs = await waitForCompaction(server, lastRevision);
  const read = await runEtcdctl(server.endpoint, ['get', 'k0', `--rev=${lastRevision - 1}`]);
  const log = server.logTail(2000).split('\n').find((l) => l.includes(ZAP_COMPLETED)) ?? '';
  // etcdctl's last stderr line is the error; the lines before are client retry logs with ids and times.
  return { revisions: completedRevisions(server), waitedMs: seenMs - lastWriteMs, read: read.stderr.trim().split('\n').at(-1) ?? '', log };
}

test('periodic auto-compaction compacts to the revision one retention ago, as etcd does', { timeout: 90_000 }, async () => {
  const [etcd, tetcd] = await Promise.all([exercise('etcd'), exercise('tetcd')]);
  console.log(`etcd compactions ${etcd.revisions.join(',')} after ${etcd.waitedMs.toFixed(0)} ms; ` +
    `tetcd compactions ${tetcd.revisions.join(',')} after ${tetcd.waitedMs.toFixed(0)} ms`);
  for (const side of [etcd, tetcd]) {
    // The newest revision is only compacted once it is a full retention old.
    assert.ok(side.waitedMs >= RETENTION_MS * 0.9, `compacted ${side.waitedMs} ms after the last write`);
    assert.equal(Math.max(...side.revisions), 1 + KEYS, 'compacts exactly to the revision seen one retention ago');
    assert.match(side.read, /required revision has been compacted/);
  }
  assert.equal(tetcd.read, etcd.read);
  assert.match(tetcd.log, /"compact-period":\s*"2s"/);
});

test('a retention etcd refuses ("1.5": no unit) stops both at startup', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-autocompact-flags-'));
  try {
    const commands: Array<[string, string[]]> = [[ETCD_BIN, []], [process.execPath, [TETCD_BIN, 'server']]];
    for (const [bin, args] of commands) {
      const run = spawnSync(bin, [...args, '--data-dir', join(dir, String(args.length)), '--listen-client-urls',
        'http://127.0.0.1:0', '--advertise-client-urls', 'http://127.0.0.1:2379', '--listen-peer-urls', 'http://127.0.0.1:0',
        '--auto-compaction-retention', '1.5'], { timeout: 20_000, encoding: 'utf8' });
      assert.notEqual(run.status, 0, `${bin} ${args.join(' ')} accepted --auto-compaction-retention 1.5`);
      assert.match(run.stderr + run.stdout, /missing unit in duration/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
