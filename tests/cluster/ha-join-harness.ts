/**
 * Test harness for K3s-style HA servers (docs/k3s-ha.md): `tetcd server --cluster-init` / `--server --token`
 * processes on 127.0.0.1 free ports, each with its own data dir under one temp root and a log file that
 * survives restarts. Every process group is SIGKILLed when the test process exits.
 *
 *   const root = createHaRoot();
 *   const s1 = await HaServer.create(root, 's1', ['--cluster-init']);   await s1.start();
 *   const s2 = await HaServer.create(root, 's2', ['--server', s1.clientUrl, '--token', s1.token()]);
 *   await s2.start();
 *   await runWithEnvFile(s1.envFile, ['etcdctl', 'member', 'list', '-w', 'table']);
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert } from '../../src/base/assert.js';
import { ETCDCTL_BIN, TETCD_BIN, requireOracleBinaries, requireTetcdBinary } from '../helpers/binaries.js';
import { waitFor } from '../helpers/cluster-member.js';
import { allocatePort } from '../helpers/ports.js';
import { liveGroups, signalGroup } from '../helpers/process-groups.js';
import { READY_LINE } from '../helpers/server.js';

/** Time a server gets to print READY_LINE (a join includes PKI generation and a MemberAdd). */
export const HA_READY_TIMEOUT_MS = 45_000;
const STOP_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 40;

/** A temp root for a test's servers; `cleanup()` removes it unless E2E_KEEP_TMP=1. */
export function createHaRoot(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-ha-'));
  return { dir, cleanup: () => { if (process.env['E2E_KEEP_TMP'] !== '1') rmSync(dir, { recursive: true, force: true }); } };
}

/** The output and exit code of a process that ran to completion. */
export interface RunResult { stdout: string; stderr: string; exitCode: number }

function collect(child: ChildProcess, timeoutMs: number, what: string): Promise<RunResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      reject(new Error(`${what} still running after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (child.pid !== undefined) liveGroups.delete(child.pid);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exitCode: code ?? -1 });
    });
  });
}

/** Environment without the test process's ETCD* / TETCD* variables. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const kept = Object.entries(process.env)
    .filter(([k, v]) => v !== undefined && !/^T?ETCD/.test(k)) as Array<[string, string]>;
  return { ...Object.fromEntries(kept), ...extra };
}

/**
 * Runs `bash -c 'set -a; . ENVFILE; set +a; exec "$@"' -- ...command` (as an operator would use the
 * generated tetcdctl.env), e.g. command = [ETCDCTL_BIN, 'member', 'list'].
 */
export function runWithEnvFile(envFile: string, command: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  requireOracleBinaries();
  const child = spawn('bash', ['-c', 'set -a; . "$0"; set +a; exec "$@"', envFile, ...command],
    { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
  return collect(child, timeoutMs, command.join(' '));
}

/** Runs Debian's etcdctl with the env file. */
export function etcdctlWithEnv(envFile: string, args: readonly string[]): Promise<RunResult> {
  return runWithEnvFile(envFile, [ETCDCTL_BIN, ...args]);
}

/** One HA server process (may be started, stopped and restarted with the same arguments). */
export class HaServer {
  readonly dataDir: string;
  readonly logPath: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private logStart = 0;

  private constructor(readonly name: string, root: string, clientPort: number, peerPort: number,
    private readonly args: readonly string[]) {
    this.dataDir = join(root, name);
    this.logPath = join(root, `${name}.log`);
    this.clientUrl = `https://127.0.0.1:${clientPort}`;
    this.peerUrl = `https://127.0.0.1:${peerPort}`;
    appendFileSync(this.logPath, '');
  }

  /** A server named `name` with fresh ports; `args` are added to the name/data-dir/URL flags. */
  static async create(root: { dir: string }, name: string, args: readonly string[]): Promise<HaServer> {
    return new HaServer(name, root.dir, await allocatePort(), await allocatePort(), args);
  }

  get serverDir(): string { return join(this.dataDir, 'server'); }
  get envFile(): string { return join(this.serverDir, 'tetcdctl.env'); }
  get tokenFile(): string { return join(this.serverDir, 'token'); }
  /** The token written by this server. */
  token(): string { return readFileSync(this.tokenFile, 'utf8').trim(); }

  /** The full command line (after `tetcd server`). */
  commandArgs(extra: readonly string[] = []): string[] {
    return ['--name', this.name, '--data-dir', this.dataDir, '--listen-client-urls', this.clientUrl,
      '--listen-peer-urls', this.peerUrl, '--learner-promote-interval', '500ms', ...this.args, ...extra];
  }

  log(): string { return readFileSync(this.logPath, 'utf8'); }
  /** The log written since the latest start. */
  logSinceStart(): string { return this.log().slice(this.logStart); }
  logTail(): string { return this.log().split('\n').slice(-LOG_TAIL_LINES).join('\n'); }
  get running(): boolean { return this.child !== undefined; }

  /** Starts the process and resolves once it is ready to serve. Throws with the log tail otherwise. */
  async start(): Promise<void> {
    requireTetcdBinary();
    assert(this.child === undefined, `${this.name} already running`);
    this.logStart = this.log().length;
    const child = spawn(process.execPath, [TETCD_BIN, 'server', ...this.commandArgs()],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    assert(child.pid !== undefined, 'spawn failed');
    liveGroups.add(child.pid);
    this.child = child;
    const append = (chunk: Buffer): void => appendFileSync(this.logPath, chunk);
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const pid = child.pid;
    this.exited = new Promise((resolve) => child.once('close', () => {
      liveGroups.delete(pid);
      if (this.child === child) this.child = undefined;
      resolve();
    }));
    await waitFor(`${this.name} ready`, HA_READY_TIMEOUT_MS, async () => {
      if (this.logSinceStart().includes(READY_LINE)) return true;
      if (this.child !== child) throw new Error(`${this.name} exited before being ready:\n${this.logTail()}`);
      return undefined;
    }).catch((error: Error) => { throw new Error(`${error.message}\n--- ${this.name} log:\n${this.logTail()}`); });
  }

  /** SIGTERM, SIGKILL after a grace period; resolves once exited. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child?.pid === undefined) return;
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /**
   * Runs `tetcd server` with this server's arguments plus `extra` to completion (a refused join).
   * @throws Error if it does not exit within `timeoutMs`.
   */
  runToExit(extra: readonly string[] = [], timeoutMs = 30_000): Promise<RunResult> {
    requireTetcdBinary();
    const child = spawn(process.execPath, [TETCD_BIN, 'server', ...this.commandArgs(extra)],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    if (child.pid !== undefined) liveGroups.add(child.pid);
    return collect(child, timeoutMs, `tetcd server (${this.name})`);
  }
}
