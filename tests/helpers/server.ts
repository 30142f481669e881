/**
 * Start, stop, kill and restart one single-member server: real etcd (the oracle) or tetcd (the subject),
 * with identical etcd 3.4 flags. Each server gets a temp root holding its data dir and a log file that
 * captures stdout and stderr across restarts. Servers run in their own process group, and every group
 * still alive when the test process exits is SIGKILLed, so a failing test never leaks servers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert } from '../../src/base/assert.js';
import { ETCD_BIN, TETCD_BIN, requireOracleBinaries, requireTetcdBinary } from './binaries.js';
import { allocatePort } from './ports.js';
import { liveGroups, signalGroup } from './process-groups.js';

export type ServerKind = 'etcd' | 'tetcd';

/** Substring of the log line both etcd and tetcd print once they serve clients. */
export const READY_LINE = 'ready to serve client requests';
/** Default time a server gets to print READY_LINE. */
export const READY_TIMEOUT_MS_DEFAULT = 20_000;
/** Default time between SIGTERM and SIGKILL in stop(). */
export const STOP_GRACE_MS_DEFAULT = 5_000;
/** Start attempts with fresh ports when the first ports turned out to be taken. */
const START_ATTEMPTS_MAX = 3;
/** Lines of log quoted in error messages. */
const LOG_TAIL_LINES = 30;

export interface ServerOptions {
  kind: ServerKind;
  /** Member name (default: the kind). */
  name?: string;
  /** Time allowed to become ready (default READY_TIMEOUT_MS_DEFAULT). */
  readyTimeoutMs?: number;
  /** Extra flags appended after the standard ones. */
  extraArgs?: readonly string[];
  /** URL scheme of the client URLs (default 'http'; 'https' needs TLS flags in extraArgs). */
  clientScheme?: 'http' | 'https';
  /** URL scheme of the peer URLs (default 'http'). */
  peerScheme?: 'http' | 'https';
}

interface ExitInfo { code: number | null; signal: NodeJS.Signals | null }

/** A running (or stopped) server member; see ServerProcess.start. */
export class ServerProcess {
  readonly kind: ServerKind;
  readonly name: string;
  /** Temp directory owned by this server (data dir and log inside); removed by cleanup(). */
  readonly rootDir: string;
  readonly dataDir: string;
  readonly logPath: string;
  private clientPort = 0;
  private peerPort = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  private readonly readyTimeoutMs: number;
  private readonly extraArgs: readonly string[];
  private readonly clientScheme: 'http' | 'https';
  private readonly peerScheme: 'http' | 'https';
  private starts = 0;

  private constructor(options: ServerOptions) {
    this.kind = options.kind;
    this.name = options.name ?? options.kind;
    this.rootDir = mkdtempSync(join(tmpdir(), `tetcd-e2e-${this.kind}-`));
    this.dataDir = join(this.rootDir, 'data');
    this.logPath = join(this.rootDir, 'server.log');
    this.readyTimeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS_DEFAULT;
    this.extraArgs = options.extraArgs ?? [];
    this.clientScheme = options.clientScheme ?? 'http';
    this.peerScheme = options.peerScheme ?? 'http';
  }

  /**
   * Creates a temp data dir, allocates ports and starts the server, resolving once it is ready.
   * @throws Error if the binary is missing, or the server exits or is not ready within the timeout
   *   (the message quotes the log tail and names the log file).
   */
  static async start(options: ServerOptions): Promise<ServerProcess> {
    if (options.kind === 'etcd') requireOracleBinaries();
    else requireTetcdBinary();
    const server = new ServerProcess(options);
    for (let attempt = 1; ; attempt++) {
      server.clientPort = await allocatePort();
      server.peerPort = await allocatePort();
      try {
        await server.launch();
        return server;
      } catch (error) {
        await server.kill();
        const portClash = server.logTail().includes('address already in use');
        if (!portClash || attempt >= START_ATTEMPTS_MAX) throw error;
      }
    }
  }

  /** `127.0.0.1:PORT` as etcdctl's --endpoints takes it. */
  get endpoint(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  get clientUrl(): string {
    return `${this.clientScheme}://${this.endpoint}`;
  }

  get peerUrl(): string {
    return `${this.peerScheme}://127.0.0.1:${this.peerPort}`;
  }

  /** Pid of the running server (also its process group id); undefined when not running. */
  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Last `lines` lines of the captured log. */
  logTail(lines = LOG_TAIL_LINES): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /**
   * Sends SIGTERM to the process group, then SIGKILL after `graceMs`; resolves once it exited.
   * A no-op when not running.
   */
  async stop(graceMs = STOP_GRACE_MS_DEFAULT): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    signalGroup(pid, 'SIGKILL'); // any stragglers left in the group
    liveGroups.delete(pid);
  }

  /** SIGKILLs the process group (a crash) and resolves once the server exited. */
  async kill(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    signalGroup(pid, 'SIGKILL');
    await this.exited;
    liveGroups.delete(pid);
  }

  /**
   * Starts the server again on the same data dir and ports (after stop() or kill()).
   * @throws Error if it is still running, or if it does not become ready (see start()).
   */
  async restart(): Promise<void> {
    if (this.pid !== undefined) throw new Error(`${this.name} is still running (pid ${this.pid})`);
    try {
      await this.launch();
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /** Stops the server (SIGTERM, then SIGKILL) and removes its temp dir unless E2E_KEEP_TMP=1. */
  async cleanup(): Promise<void> {
    await this.stop();
    if (process.env['E2E_KEEP_TMP'] === '1') return;
    rmSync(this.rootDir, { recursive: true, force: true });
  }

  private commandLine(): { command: string; args: string[] } {
    const flags = [
      '--name', this.name, '--data-dir', this.dataDir,
      '--listen-client-urls', this.clientUrl, '--advertise-client-urls', this.clientUrl,
      '--listen-peer-urls', this.peerUrl, '--initial-advertise-peer-urls', this.peerUrl,
      '--initial-cluster', `${this.name}=${this.peerUrl}`, ...this.extraArgs,
    ];
    if (this.kind === 'etcd') return { command: ETCD_BIN, args: flags };
    return { command: process.execPath, args: [TETCD_BIN, 'server', ...flags] };
  }

  private launch(): Promise<void> {
    assert(this.clientPort > 0 && this.peerPort > 0, 'ports allocated before launch');
    assert(this.pid === undefined, 'launch only a stopped server');
    const { command, args } = this.commandLine();
    this.starts += 1;
    appendFileSync(this.logPath, `=== start #${this.starts}: ${command} ${args.join(' ')}\n`);
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCD')));
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    assert(child.pid !== undefined, `spawn ${command} failed`);
    this.child = child;
    liveGroups.add(child.pid);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    return this.waitReady(child);
  }

  private waitReady(child: ChildProcess): Promise<void> {
    return new Promise((resolve, reject) => {
      let ready = false;
      let pending = '';
      const fail = (why: string): void => {
        clearTimeout(timer);
        reject(new Error(`${this.kind} '${this.name}' ${why}; log ${this.logPath}:\n${this.logTail()}`));
      };
      const onData = (chunk: Buffer): void => {
        // 'exit' can come before the last piped output; once cleanup() removed the dir, drop it.
        try {
          appendFileSync(this.logPath, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        if (ready) return;
        pending = (pending + chunk.toString('utf8')).slice(-4096);
        if (!pending.includes(READY_LINE)) return;
        ready = true;
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => fail(`not ready after ${this.readyTimeoutMs} ms`), this.readyTimeoutMs);
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', (error) => fail(`failed to spawn: ${error.message}`));
      child.once('exit', (code, signal) => {
        if (!ready) fail(`exited before ready (code ${code}, signal ${signal})`);
      });
    });
  }
}
