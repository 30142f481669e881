/**
 * Password prompts on a real pseudo-terminal (util-linux `script`), etcdctl 3.4 against tetcdctl on
 * the same real etcd: `user add` / `user passwd` (interactive by default: prompt twice), a mismatch,
 * and `--user NAME` without a password (`Password: `) with auth enabled, right and wrong password.
 * The transcripts (what the terminal shows) and exit codes must match, and no typed password may be
 * echoed. Each tool's sequence ends with auth disabled and its users removed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ETCDCTL_BIN, REPO_ROOT, requireOracleBinaries } from '../helpers/binaries.js';
import { lineDiff } from '../helpers/diff.js';
import { ServerProcess } from '../helpers/server.js';
import { runInPty } from './etcdctl-prompt-pty.js';
import { runTool, tetcdctlCommand } from './golden-support.js';

interface PromptCase { args: string[]; answers: string[] }

const SECRETS = ['first-secret', 'other-secret', 'second-secret', 'root-secret', 'wrong-secret'];

const CASES: PromptCase[] = [
  { args: ['user', 'add', 'alice'], answers: ['first-secret', 'first-secret'] },
  { args: ['user', 'add', 'bob'], answers: ['first-secret', 'other-secret'] },
  { args: ['user', 'passwd', 'alice'], answers: ['second-secret', 'second-secret'] },
  { args: ['user', 'add', 'root', '--new-user-password=root-secret'], answers: [] },
  { args: ['auth', 'enable'], answers: [] },
  { args: ['--user', 'root', 'get', 'k'], answers: ['root-secret'] },
  { args: ['--user', 'alice', 'get', 'k'], answers: ['wrong-secret'] },
  { args: ['--user', 'root', 'auth', 'disable'], answers: ['root-secret'] },
];
const CLEANUP = [['user', 'delete', 'alice'], ['user', 'delete', 'root'], ['role', 'delete', 'root']];

let server: ServerProcess | undefined;
let bundleDir = '';
let tetcdctl: readonly string[] = [];

before(async () => {
  requireOracleBinaries();
  const cacheDir = join(REPO_ROOT, 'node_modules', '.cache');
  mkdirSync(cacheDir, { recursive: true });
  bundleDir = mkdtempSync(join(cacheDir, 'tetcdctl-prompt-'));
  [tetcdctl, server] = await Promise.all([tetcdctlCommand(bundleDir),
    ServerProcess.start({ kind: 'etcd', name: 'default' })]);
});

after(async () => {
  await server?.cleanup();
  if (bundleDir !== '') rmSync(bundleDir, { recursive: true, force: true });
});

/** Drops clientv3's zap warning lines (etcdctl logs a retried auth failure there; tetcdctl does not). */
function normaliseTranscript(text: string): string {
  return text.split('\r\n').filter((l) => !l.startsWith('{"level":"warn"')).join('\r\n');
}

async function runSequence(command: readonly string[]): Promise<string[]> {
  const endpoint = server!.endpoint;
  const results: string[] = [];
  for (const c of CASES) {
    const r = await runInPty(command, c.args, endpoint, c.answers);
    for (const secret of SECRETS) assert.ok(!r.transcript.includes(secret), `${c.args.join(' ')} echoed ${secret}`);
    results.push(`$ ${c.args.join(' ')}\n${normaliseTranscript(r.transcript)}exit ${r.exitCode}`);
  }
  for (const args of CLEANUP) await runTool([ETCDCTL_BIN], args, endpoint);
  return results;
}

test('password prompts on a terminal match etcdctl 3.4 and never echo', async () => {
  const expected = await runSequence([ETCDCTL_BIN]);
  const actual = await runSequence(tetcdctl);
  assert.match(expected[0]!, /Password of alice: \r\nType password of alice again for confirmation: \r\nUser alice/);
  assert.match(expected[5]!, /^\$ --user root get k\nPassword: \r\nexit 0$/);
  const diff = lineDiff(expected.join('\n'), actual.join('\n'), 'etcdctl', 'tetcdctl');
  assert.equal(diff, '', diff);
});
