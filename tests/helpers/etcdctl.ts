/**
 * Runs the real etcdctl (API v3) against one endpoint and captures everything it prints.
 */
import { spawn } from 'node:child_process';
import { assert } from '../../src/base/assert.js';
import { ETCDCTL_BIN, requireOracleBinaries } from './binaries.js';

/** Default wall-time limit for one etcdctl invocation. */
export const ETCDCTL_TIMEOUT_MS_DEFAULT = 30_000;

export interface EtcdctlResult {
  stdout: string;
  stderr: string;
  /** Process exit code; -1 if etcdctl was killed by a signal (e.g. on timeout). */
  exitCode: number;
}

export interface EtcdctlOptions {
  /** Bytes written to etcdctl's stdin (then stdin is closed). */
  stdin?: string | Buffer;
  /** Extra environment (ETCDCTL_* variables of the test process are never inherited). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Runs `etcdctl --endpoints=ENDPOINT ...args` with ETCDCTL_API=3.
 * @throws Error if etcdctl is missing, cannot be spawned, or exceeds the timeout (it is killed first).
 */
export function runEtcdctl(endpoint: string, args: readonly string[],
  options: EtcdctlOptions = {}): Promise<EtcdctlResult> {
  requireOracleBinaries();
  assert(endpoint.length > 0, 'endpoint required');
  const timeoutMs = options.timeoutMs ?? ETCDCTL_TIMEOUT_MS_DEFAULT;
  const inherited = Object.entries(process.env).filter(([key]) => !key.startsWith('ETCDCTL'));
  const env = { ...Object.fromEntries(inherited), ETCDCTL_API: '3', ...options.env };
  const fullArgs = [`--endpoints=${endpoint}`, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(ETCDCTL_BIN, fullArgs, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => undefined); // etcdctl may exit before reading all of stdin
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`etcdctl ${fullArgs.join(' ')} timed out after ${timeoutMs} ms`));
        return;
      }
      resolve({
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        exitCode: code ?? -1,
      });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
