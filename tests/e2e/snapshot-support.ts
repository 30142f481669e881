/**
 * Helpers for the snapshot e2e and disaster-recovery tests: run `tetcd ctl|utl` as a child process,
 * and read all keys of a server (as etcdctl -w json) without the header.
 */
import { spawn } from 'node:child_process';
import { TETCD_BIN } from '../helpers/binaries.js';
import { runEtcdctl } from '../helpers/etcdctl.js';

export interface CliResult { stdout: string; stderr: string; exitCode: number }

const CLI_TIMEOUT_MS = 60_000;

/** Runs `node TETCD_BIN <args>` (ETCDCTL_* variables not inherited). Rejects on timeout. */
export function runTetcd(args: readonly string[]): Promise<CliResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCDCTL')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TETCD_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), exitCode: code ?? -1 });
    });
  });
}

/** `get "" --prefix -w json` on `endpoint`: the kvs array (text) and the header revision. */
export async function allKeys(endpoint: string): Promise<{ kvs: string; revision: string }> {
  const result = await runEtcdctl(endpoint, ['get', '', '--prefix', '-w', 'json']);
  if (result.exitCode !== 0) throw new Error(`get failed: ${result.stderr}`);
  const text = result.stdout;
  const revision = /"revision":(\d+)/.exec(text)?.[1] ?? '';
  const start = text.indexOf('"kvs":');
  const kvs = start < 0 ? '' : text.slice(start, text.lastIndexOf(',"count"'));
  return { kvs, revision };
}
