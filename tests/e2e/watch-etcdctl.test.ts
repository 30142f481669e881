/**
 * etcdctl watch oracle test: the same long-running `etcdctl watch` processes (prefix, single key with
 * --prev-kv, -w json, -i interactive, --rev history replay, compacted --rev) run against real etcd and
 * against the subject while the same writes happen; their normalised output must match byte for byte.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { ETCDCTL_BIN } from '../helpers/binaries.js';
import { lineDiff } from '../helpers/diff.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { normaliseOutput } from '../helpers/normalise.js';
import { startOraclePair, stopOraclePair, type OraclePair } from '../helpers/oracle.js';
import type { ServerProcess } from '../helpers/server.js';

/** Time for etcdctl to connect and create its watches, and for events to arrive. */
const SETTLE_MS = 2000;
/** etcdctl gets this long to exit after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 3000;

let pair: OraclePair | undefined;
/** Every etcdctl still running: killed in after() so a failed run cannot keep the test process alive. */
const running = new Set<ChildProcess>();

before(async () => {
  pair = await startOraclePair();
});

after(async () => {
  for (const child of running) child.kill('SIGKILL');
  await stopOraclePair(pair);
});

interface WatchProcess {
  /** Writes a line to etcdctl's stdin (for -i). */
  send(line: string): void;
  /** SIGTERMs etcdctl (if still running) and returns what it printed and its exit code (-1 if killed). */
  stop(): Promise<string>;
}

function startWatch(server: ServerProcess, args: readonly string[]): WatchProcess {
  const inherited = Object.entries(process.env).filter(([key]) => !key.startsWith('ETCDCTL'));
  const child = spawn(ETCDCTL_BIN, [`--endpoints=${server.endpoint}`, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'], env: { ...Object.fromEntries(inherited), ETCDCTL_API: '3' },
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  child.stdin.on('error', () => undefined);
  running.add(child);
  const exited = new Promise<number>((resolve) => child.once('close', (code) => {
    running.delete(child);
    resolve(code ?? -1);
  }));
  return {
    send: (line) => child.stdin.write(`${line}\n`),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      const code = await exited;
      clearTimeout(force);
      const endpoints = [server.endpoint, server.clientUrl];
      const text = `${stdout.join('')}[stderr]\n${stderr.join('')}`;
      return `${normaliseOutput(text, { endpoints })}(exit ${code})`;
    },
  };
}

async function ctl(server: ServerProcess, args: string[], stdin?: string): Promise<void> {
  const result = await runEtcdctl(server.endpoint, args, stdin === undefined ? {} : { stdin });
  assert.equal(result.exitCode, 0, `etcdctl ${args.join(' ')}: ${result.stderr}`);
}

/** The whole scenario on one server; returns every watcher's output by name. */
async function scenario(server: ServerProcess): Promise<Record<string, string>> {
  const live = {
    prefix: startWatch(server, ['watch', '--prefix', 'w/']),
    prevKv: startWatch(server, ['watch', 'w/a', '--prev-kv']),
    json: startWatch(server, ['watch', 'w/b', '-w', 'json']),
    interactive: startWatch(server, ['watch', '-i']),
    range: startWatch(server, ['watch', 'w/b', 'w/d']),
  };
  live.interactive.send('watch w/c');
  // Two watchers on one stream, never both hit by one revision: etcd orders such responses randomly.
  live.interactive.send('watch --prefix w/a --prev-kv');
  await sleep(SETTLE_MS);
  await ctl(server, ['put', 'w/a', '1']); // 2
  await ctl(server, ['put', 'w/a', '2']); // 3
  await ctl(server, ['put', 'w/b', 'x']); // 4
  await ctl(server, ['del', 'w/a']); // 5
  await ctl(server, ['txn'], '\nput w/c y\nput w/d z\nput other q\n\n\n'); // 6
  await ctl(server, ['put', 'w/b', 'x2', '--prev-kv']); // 7
  await ctl(server, ['del', '--prefix', 'w/']); // 8
  await sleep(SETTLE_MS);
  const outputs: Record<string, string> = {};
  for (const [name, watch] of Object.entries(live)) outputs[name] = await watch.stop();
  const history = {
    fromRev2: startWatch(server, ['watch', '--rev', '2', '--prefix', 'w/']),
    fromRev3PrevKv: startWatch(server, ['watch', '--rev', '3', 'w/a', '--prev-kv']),
    fromRev6: startWatch(server, ['watch', '--rev', '6', 'w/', '\\xff']),
  };
  await sleep(SETTLE_MS);
  for (const [name, watch] of Object.entries(history)) outputs[name] = await watch.stop();
  // --physical: wait until the backend deletion is done on both servers, otherwise whether a watch from
  // the compact revision still sees events at that revision depends on timing (it raced in CI runs).
  await ctl(server, ['compaction', '--physical', '5']);
  const compacted = startWatch(server, ['watch', '--rev', '3', 'w/b']);
  const atCompact = startWatch(server, ['watch', '--rev', '5', '--prefix', 'w/']);
  await sleep(SETTLE_MS);
  outputs['compacted'] = await compacted.stop();
  outputs['atCompactRevision'] = await atCompact.stop();
  return outputs;
}

test('etcdctl watch output matches etcd (prefix, prev-kv, json, interactive, --rev, compacted)', async () => {
  assert.ok(pair !== undefined, 'servers did not start (see the before hook failure)');
  const [oracle, subject] = await Promise.all([scenario(pair.oracle), scenario(pair.subject)]);
  const mismatches: string[] = [];
  for (const name of Object.keys(oracle)) {
    const diff = lineDiff(oracle[name] ?? '', subject[name] ?? '');
    if (process.env['E2E_VERBOSE'] === '1') console.log(`--- ${name}\n${oracle[name]}`);
    if (diff !== '') mismatches.push(`watcher ${name}:\n${diff}`);
  }
  assert.ok((oracle['prefix'] ?? '').includes('w/d'), `oracle saw no events: ${oracle['prefix']}`);
  assert.equal(mismatches.length, 0, mismatches.join('\n\n'));
});
