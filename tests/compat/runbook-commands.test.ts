/**
 * tetcdctl's runbook commands (beyond etcdctl) against a real 3-member etcd cluster:
 * `defrag --rolling --cluster` defragments followers first and the leader last with a health check
 * after each, and stops at the first failure; `alarm recover-nospace` clears a real NOSPACE alarm.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ETCDCTL_BIN, REPO_ROOT } from '../helpers/binaries.js';
import { Cluster } from '../helpers/cluster.js';
import { runTool, tetcdctlCommand } from './golden-support.js';

let cluster: Cluster | undefined;
let tetcdctl: readonly string[] = [];
let dir = '';

before(async () => {
  mkdirSync(join(REPO_ROOT, 'node_modules', '.cache'), { recursive: true });
  dir = mkdtempSync(join(REPO_ROOT, 'node_modules', '.cache', 'tetcdctl-runbook-cmds-'));
  tetcdctl = await tetcdctlCommand(dir);
  // A small quota so NOSPACE is reachable in a test (etcd raises it once the db exceeds the quota).
  cluster = await Cluster.start({ kind: 'etcd', size: 3, extraArgs: ['--quota-backend-bytes=300000'] });
});

after(async () => {
  await cluster?.cleanup();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('defrag --rolling --cluster: followers first, leader last, each checked healthy', async () => {
  const leader = await cluster!.leader();
  const endpoint = cluster!.endpoints().split(',')[0]!;
  const r = await runTool(tetcdctl, ['defrag', '--rolling', '--cluster'], endpoint);
  assert.equal(r.exitCode, 0, r.stderr);
  const out = r.stdout.toString();
  const finished = [...out.matchAll(/^Finished defragmenting etcd member\[([^\]]+)\]/gm)].map((m) => m[1]!);
  assert.equal(finished.length, 3, out);
  assert.ok(finished[2]!.endsWith(leader.endpoint), `leader ${leader.endpoint} is not last:\n${out}`);
  assert.equal((out.match(/ is healthy$/gm) ?? []).length, 3, out);
});

test('defrag --rolling stops at the first unreachable member', async () => {
  const endpoint = cluster!.endpoints().split(',')[0]!;
  const r = await runTool(tetcdctl, ['defrag', '--rolling', '--command-timeout=1s',
    `--endpoints=${endpoint},127.0.0.1:1`], endpoint, { withEndpointEnv: false });
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /cannot get the status of 127\.0\.0\.1:1 .*nothing was defragmented/);
});

test('alarm recover-nospace clears a real NOSPACE alarm and writes work again', async () => {
  const endpoint = cluster!.endpoints().split(',')[0]!;
  const value = 'x'.repeat(20_000);
  let nospace = false;
  for (let i = 0; i < 200 && !nospace; i++) {
    const put = await runTool([ETCDCTL_BIN], ['put', 'fill', value], endpoint);
    nospace = put.stderr.includes('database space exceeded');
  }
  assert.ok(nospace, 'the quota was never reached');
  const r = await runTool(tetcdctl, ['alarm', 'recover-nospace', '--cluster'], endpoint);
  assert.equal(r.exitCode, 0, `${r.stdout.toString()}${r.stderr}`);
  assert.match(r.stdout.toString(), /NOSPACE alarm active on/);
  assert.match(r.stdout.toString(), /Verified: writes succeed/);
  const alarms = await runTool([ETCDCTL_BIN], ['alarm', 'list'], endpoint);
  assert.equal(alarms.stdout.toString(), '');
  const put = await runTool([ETCDCTL_BIN], ['put', 'after', 'ok'], endpoint);
  assert.equal(put.exitCode, 0, put.stderr);
});
