/**
 * `check perf`, `check datascale` and `migrate` against etcdctl 3.4 on a real etcd.
 * Error paths (unknown load, prefix with keys, unreachable /metrics, missing data dir) run both tools
 * live and compare stdout, stderr and exit codes. Full runs take etcdctl 60 s (perf) or 10,000 puts
 * (datascale), so tetcdctl's short runs (TETCDCTL_CHECK_PERF_DURATION_S / TETCDCTL_CHECK_DATASCALE_KEYS)
 * are compared, after normalisation, with etcdctl output recorded from /usr/bin/etcdctl 3.4.23
 * (etcdctl-check-format.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ETCDCTL_BIN, REPO_ROOT, requireOracleBinaries } from '../helpers/binaries.js';
import { ServerProcess } from '../helpers/server.js';
import { ETCDCTL_DATASCALE_STDOUT, ETCDCTL_PERF_STDOUT, normaliseCheckOutput, RECORDED_ENDPOINT }
  from './etcdctl-check-format.js';
import { runTool, tetcdctlCommand } from './golden-support.js';

let server: ServerProcess | undefined;
let scratch = '';
let tetcdctl: readonly string[] = [];

before(async () => {
  requireOracleBinaries();
  const cacheDir = join(REPO_ROOT, 'node_modules', '.cache');
  mkdirSync(cacheDir, { recursive: true });
  scratch = mkdtempSync(join(cacheDir, 'tetcdctl-check-'));
  [tetcdctl, server] = await Promise.all([tetcdctlCommand(scratch),
    ServerProcess.start({ kind: 'etcd', name: 'default' })]);
});

after(async () => {
  await server?.cleanup();
  if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
});

async function compareLive(args: string[], options: { endpoints?: string } = {}): Promise<void> {
  const endpoint = options.endpoints ?? server!.endpoint;
  const run = (command: readonly string[]) => runTool(command, args, endpoint);
  const started = Date.now();
  const expected = await run([ETCDCTL_BIN]);
  const middle = Date.now();
  const actual = await run(tetcdctl);
  console.log(`${args.join(' ')}: etcdctl ${middle - started} ms, tetcdctl ${Date.now() - middle} ms`);
  const view = (r: typeof expected): string => `${r.stdout.toString()}|${r.stderr}|exit ${r.exitCode}`;
  assert.equal(view(actual), view(expected), `tetcdctl ${args.join(' ')}`);
}

test('check and migrate error paths match etcdctl', async () => {
  await compareLive(['check', 'perf', '--load', 'huge']);
  await compareLive(['check', 'datascale', '--load=xs']);
  await runTool([ETCDCTL_BIN], ['put', '/etcdctl-check-perf/k', 'v'], server!.endpoint);
  await compareLive(['check', 'perf', '--load', 'small']);
  await compareLive(['check', 'datascale', '--prefix', '/etcdctl-check-perf/']);
  await runTool([ETCDCTL_BIN], ['del', '--prefix', '/etcdctl-check-perf/'], server!.endpoint);
  // /metrics is read from the first endpoint, which refuses connections; puts would go to the second.
  await compareLive(['check', 'datascale'], { endpoints: `127.0.0.1:1,${server!.endpoint}` });
  await compareLive(['migrate', '--data-dir', join(scratch, 'missing')]);
  await compareLive(['migrate']);
});

test('migrate on a data dir without v2 data prints what etcdctl prints there', async () => {
  const dataDir = join(scratch, 'data');
  mkdirSync(join(dataDir, 'member', 'snap'), { recursive: true });
  const r = await runTool(tetcdctl, ['migrate', '--data-dir', dataDir], server!.endpoint);
  assert.deepEqual([r.stdout.toString(), r.stderr, r.exitCode], ['using default transformer\nno v2 keys to migrate\n', '', 0]);
  const t = await runTool(tetcdctl, ['migrate', '--data-dir', dataDir, '--transformer', '/bin/true'], server!.endpoint);
  assert.equal(t.stdout.toString(), 'finished transforming keys\nno v2 keys to migrate\n');
});

test('check perf: short run has etcdctl 3.4 output format', async () => {
  const endpoint = server!.endpoint;
  const r = await runTool(tetcdctl, ['check', 'perf', '--auto-compact', '--auto-defrag'], endpoint,
    { env: { TETCDCTL_CHECK_PERF_DURATION_S: '2' } });
  const actual = normaliseCheckOutput(r.stdout.toString(), endpoint);
  assert.equal(actual, normaliseCheckOutput(ETCDCTL_PERF_STDOUT, RECORDED_ENDPOINT), r.stdout.toString());
  assert.equal(r.stderr, '');
  assert.equal(r.exitCode, r.stdout.toString().endsWith('\nPASS\n') ? 0 : 1, 'exit code follows the verdict');
  const left = await runTool([ETCDCTL_BIN], ['get', '--prefix', '/etcdctl-check-perf/', '--keys-only'], endpoint);
  assert.equal(left.stdout.toString(), '', 'the prefix is deleted afterwards');
});

test('check datascale: short run has etcdctl 3.4 output format', async () => {
  const endpoint = server!.endpoint;
  const r = await runTool(tetcdctl, ['check', 'datascale', '--auto-compact', '--auto-defrag'], endpoint,
    { env: { TETCDCTL_CHECK_DATASCALE_KEYS: '300' } });
  assert.equal(normaliseCheckOutput(r.stdout.toString(), endpoint),
    normaliseCheckOutput(ETCDCTL_DATASCALE_STDOUT, RECORDED_ENDPOINT), r.stdout.toString());
  assert.match(r.stdout.toString(), /work load \[300 key-value pairs/);
  assert.deepEqual([r.stderr, r.exitCode], ['', 0]);
});
