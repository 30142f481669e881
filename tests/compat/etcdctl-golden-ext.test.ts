/**
 * Golden test for the tetcdctl commands added in session 2 (golden-cases-ext.ts), on its own pair
 * of fresh real etcd 3.4 servers (same comparison and normalisation as etcdctl-golden.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ETCDCTL_BIN } from '../helpers/binaries.js';
import { GOLDEN_CASES_EXT } from './golden-cases-ext.js';
import { compareCases, startPair } from './golden-runner.js';
import type { GoldenPair } from './golden-runner.js';
import { runTool } from './golden-support.js';

let pair: GoldenPair | undefined;

before(async () => {
  pair = await startPair();
});

after(async () => {
  await pair?.close();
});

test('tetcdctl matches etcdctl 3.4 on member/watch/lock/lease/auth commands', async () => {
  assert.ok(pair !== undefined, 'servers started');
  const failures = await compareCases(pair, GOLDEN_CASES_EXT);
  assert.equal(failures.length, 0, `${failures.length} cases differ:\n${failures.join('\n\n')}`);
});

/** Longest a streaming command may run before the comparison gives up on it. */
const STREAM_TIMEOUT_MS = 5_000;

interface StreamStep { until: string; then?: () => Promise<unknown> }

/**
 * Runs a long-lived command (elect -l, watch -i) with `stdin` written and kept open; each step waits
 * for its text in stdout, then runs its action; after the last step (or the timeout) the command is
 * killed. Resolves with stdout.
 */
function runStreaming(command: readonly string[], args: readonly string[], endpoint: string, stdin: string,
  steps: readonly StreamStep[]): Promise<string> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCDCTL_')) env[k] = v;
  Object.assign(env, { ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: endpoint });
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], { env, stdio: 'pipe' });
    let stdout = '';
    let step = 0;
    let busy = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), STREAM_TIMEOUT_MS);
    const advance = async (): Promise<void> => {
      while (!busy && step < steps.length && stdout.includes(steps[step]!.until)) {
        busy = true;
        await steps[step]!.then?.();
        step++;
        busy = false;
      }
      if (step === steps.length) child.kill('SIGTERM');
    };
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); void advance(); });
    child.stderr.resume();
    child.stdin.on('error', () => { /* gone */ });
    child.stdin.write(stdin);
    child.on('error', reject);
    child.on('close', () => { clearTimeout(timer); child.stdin.destroy(); resolve(stdout); });
  });
}

test('elect -l observes leaders like etcdctl', async () => {
  assert.ok(pair !== undefined, 'servers started');
  const outputs = await Promise.all(pair.sides.map(async (side) => {
    const ep = side.server.endpoint;
    await runTool([ETCDCTL_BIN], ['put', 'listen-e/k1', 'v1'], ep);
    return runStreaming(side.command, ['elect', '-l', 'listen-e'], ep, '', [
      { until: 'listen-e/k1\nv1\n', then: async () => {
        await runTool([ETCDCTL_BIN], ['put', 'listen-e/k2', 'v2'], ep);
        await runTool([ETCDCTL_BIN], ['del', 'listen-e/k1'], ep);
      } },
      { until: 'listen-e/k2\nv2\n' }]);
  }));
  assert.equal(outputs[1], outputs[0]);
  assert.equal(outputs[0], 'listen-e/k1\nv1\nlisten-e/k2\nv2\n');
});

test('watch -i exec form runs the command like etcdctl', async () => {
  assert.ok(pair !== undefined, 'servers started');
  const outputs = await Promise.all(pair.sides.map(async (side) => {
    const ep = side.server.endpoint;
    const put = await runTool([ETCDCTL_BIN], ['put', 'wi/a', 'hello', '-w', 'json'], ep);
    const rev = /"revision":(\d+)/.exec(put.stdout.toString())?.[1] ?? '0';
    return runStreaming(side.command, ['watch', '-i'], ep, `watch --rev ${rev} wi/a -- echo fired\n`,
      [{ until: 'fired\n' }]);
  }));
  assert.equal(outputs[0], 'PUT\nwi/a\nhello\nfired\n');
  assert.equal(outputs[1], outputs[0]);
});
