/**
 * One member process of a test cluster (real etcd or tetcd) with etcd 3.4 flags: its own temp root
 * (data dir + a log file that survives restarts) and its own process group. Every group still alive
 * when the test process exits (or is signalled) is SIGKILLed. Also the polling primitives (waitFor,
 * delay) and etcdctl JSON parsing used by tests/helpers/cluster.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert } from '../../src/base/assert.js';
import { ETCD_BIN, TETCD_BIN } from './binaries.js';
import { READY_LINE, type ServerKind } from './server.js';
import { liveGroups, signalGroup } from './process-groups.js';

/** Time between SIGTERM and SIGKILL in stop(). */
const STOP_GRACE_MS = 5_000;
/** Interval between polls while waiting for a condition. */
export const POLL_INTERVAL_MS = 100;
/** Lines quoted per member in failure reports. */
const LOG_TAIL_LINES = 40;


/** Resolves after `ms` (used only between polls, never as a substitute for a condition). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` every POLL_INTERVAL_MS until it returns a value other than undefined.
 * @throws Error naming `what` (and the last probe error) after `timeoutMs`.
 */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError}` : ''}`);
    }
    await delay(POLL_INTERVAL_MS);
  }
}

/**
 * JSON.parse that keeps integers too large for a double (member / cluster ids) exact by turning
 * every integer of 16+ digits into a string first.
 */
export function parseJsonWithBigIds(text: string): unknown {
  return JSON.parse(text.replace(/([:\[,]\s*)(\d{16,})(?=\s*[,}\]])/g, '$1"$2"'));
}

/** One member's view from `etcdctl endpoint status -w json`. */
export interface EndpointStatus {
  endpoint: string;
  clusterId: bigint;
  memberId: bigint;
  /** 0n when the member knows no leader. */
  leaderId: bigint;
  raftTerm: number;
  raftIndex: number;
  revision: number;
  isLearner: boolean;
}

interface RawStatus {
  Endpoint: string;
  Status: {
    header: { cluster_id: string | number; member_id: string | number; revision?: number; raft_term?: number };
    leader?: string | number; raftIndex?: number; raftTerm?: number; isLearner?: boolean;
  };
}

/** Parses `etcdctl endpoint status -w json` output (one or more endpoints). */
export function parseEndpointStatus(stdout: string): EndpointStatus[] {
  const raw = parseJsonWithBigIds(stdout) as RawStatus[];
  assert(Array.isArray(raw), 'endpoint status -w json prints an array');
  return raw.map((entry) => ({
    endpoint: entry.Endpoint,
    clusterId: BigInt(entry.Status.header.cluster_id),
    memberId: BigInt(entry.Status.header.member_id),
    leaderId: BigInt(entry.Status.leader ?? 0),
    raftTerm: entry.Status.raftTerm ?? 0,
    raftIndex: entry.Status.raftIndex ?? 0,
    revision: entry.Status.header.revision ?? 0,
    isLearner: entry.Status.isLearner ?? false,
  }));
}

export interface MemberSpec {
  kind: ServerKind;
  name: string;
  clientPort: number;
  peerPort: number;
  /** `name=peerUrl,...` for --initial-cluster. */
  initialCluster: string;
  initialState: 'new' | 'existing';
  token: string;
  heartbeatMs: number;
  electionMs: number;
  snapshotCount?: number;
  extraArgs: readonly string[];
  readyTimeoutMs: number;
  /** URL schemes (default 'http'); 'https' needs the TLS flags in extraArgs. */
  clientScheme?: 'http' | 'https';
  peerScheme?: 'http' | 'https';
}

/** One cluster member process (running, stopped, killed or paused). */
export class ClusterMember {
  readonly rootDir: string;
  readonly dataDir: string;
  readonly logPath: string;
  private child: ChildProcess | undefined;
  private exitedPromise: Promise<void> = Promise.resolve();
  private starts = 0;
  /** Member id as the cluster reports it (filled in by Cluster once known). */
  id: bigint | undefined;

  constructor(readonly spec: MemberSpec) {
    this.rootDir = mkdtempSync(join(tmpdir(), `tetcd-cluster-${spec.kind}-${spec.name}-`));
    this.dataDir = join(this.rootDir, 'data');
    this.logPath = join(this.rootDir, 'server.log');
  }

  get name(): string { return this.spec.name; }
  get kind(): ServerKind { return this.spec.kind; }
  /** `127.0.0.1:PORT` as etcdctl's --endpoints takes it. */
  get endpoint(): string { return `127.0.0.1:${this.spec.clientPort}`; }
  get clientUrl(): string { return `${this.spec.clientScheme ?? 'http'}://${this.endpoint}`; }
  get peerUrl(): string { return `${this.spec.peerScheme ?? 'http'}://127.0.0.1:${this.spec.peerPort}`; }

  /** Pid (= process group id) while the process is alive, else undefined. */
  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Whole captured log (all starts). */
  log(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  /** Captured log since the latest start. */
  logSinceStart(): string {
    const text = this.log();
    const at = text.lastIndexOf(`=== start #${this.starts}:`);
    return at >= 0 ? text.slice(at) : text;
  }

  logTail(lines = LOG_TAIL_LINES): string {
    return this.log().split('\n').slice(-lines).join('\n');
  }

  /**
   * Spawns the process (no wait). Use start() to also wait for the ready line.
   * @throws AssertionError if the member is already running.
   */
  spawnProcess(): void {
    assert(this.pid === undefined, `${this.name} already running`);
    const { command, args } = this.commandLine();
    this.starts += 1;
    appendFileSync(this.logPath, `=== start #${this.starts}: ${command} ${args.join(' ')}\n`);
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCD')));
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    assert(child.pid !== undefined, `spawn ${command} failed`);
    this.child = child;
    liveGroups.add(child.pid);
    const onData = (chunk: Buffer): void => appendFileSync(this.logPath, chunk);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const pid = child.pid;
    this.exitedPromise = new Promise((resolve) => child.once('close', () => {
      liveGroups.delete(pid);
      resolve();
    }));
  }

  /**
   * Starts the process and resolves when it printed READY_LINE.
   * @throws Error quoting the log tail if it exits first or is not ready within spec.readyTimeoutMs.
   */
  async start(): Promise<void> {
    this.spawnProcess();
    await this.waitForLog(READY_LINE, this.spec.readyTimeoutMs);
  }

  /**
   * Resolves once the log since the latest start contains `text`.
   * @throws Error if the process exits first (unless `allowExit`) or after `timeoutMs`.
   */
  async waitForLog(text: string, timeoutMs: number, allowExit = false): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.logSinceStart().includes(text)) return;
      if (!allowExit && this.pid === undefined) {
        throw new Error(`${this.kind} member ${this.name} exited before logging '${text}'; log ${this.logPath}:\n` +
          this.logTail());
      }
      if (Date.now() > deadline) {
        throw new Error(`${this.kind} member ${this.name}: no '${text}' after ${timeoutMs} ms; log ${this.logPath}:\n` +
          this.logTail());
      }
      await delay(POLL_INTERVAL_MS);
    }
  }

  /** Resolves when the process has exited; rejects after `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<void> {
    const timeout = delay(timeoutMs).then(() => { throw new Error(`${this.name} still running after ${timeoutMs} ms`); });
    await Promise.race([this.exitedPromise, timeout]);
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves once exited. No-op when not running. */
  async stop(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    signalGroup(pid, 'SIGCONT'); // a paused process cannot handle SIGTERM
    signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
    await this.exitedPromise;
    clearTimeout(timer);
    signalGroup(pid, 'SIGKILL');
  }

  /** SIGKILL (a crash); resolves once exited. No-op when not running. */
  async kill(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    signalGroup(pid, 'SIGKILL');
    await this.exitedPromise;
  }

  /** SIGSTOP the process group (a hang). */
  pause(): void {
    const pid = this.pid;
    assert(pid !== undefined, `${this.name} not running`);
    signalGroup(pid, 'SIGSTOP');
  }

  /** SIGCONT after pause(). */
  resume(): void {
    const pid = this.pid;
    assert(pid !== undefined, `${this.name} not running`);
    signalGroup(pid, 'SIGCONT');
  }

  /**
   * Starts again on the same data dir and ports after stop()/kill(); waits for READY_LINE.
   * @throws Error if still running or not ready in time.
   */
  async restart(): Promise<void> {
    if (this.pid !== undefined) throw new Error(`${this.name} still running (pid ${this.pid})`);
    await this.start();
  }

  /** Kills the process and removes the temp root (kept with E2E_KEEP_TMP=1). */
  async cleanup(): Promise<void> {
    await this.kill();
    if (process.env['E2E_KEEP_TMP'] !== '1') rmSync(this.rootDir, { recursive: true, force: true });
  }

  private commandLine(): { command: string; args: string[] } {
    const s = this.spec;
    const flags = [
      '--name', s.name, '--data-dir', this.dataDir,
      '--listen-client-urls', this.clientUrl, '--advertise-client-urls', this.clientUrl,
      '--listen-peer-urls', this.peerUrl, '--initial-advertise-peer-urls', this.peerUrl,
      '--initial-cluster', s.initialCluster, '--initial-cluster-state', s.initialState,
      '--initial-cluster-token', s.token,
      '--heartbeat-interval', String(s.heartbeatMs), '--election-timeout', String(s.electionMs),
      ...(s.snapshotCount === undefined ? [] : ['--snapshot-count', String(s.snapshotCount)]),
      ...s.extraArgs,
    ];
    if (s.kind === 'etcd') return { command: ETCD_BIN, args: flags };
    return { command: process.execPath, args: [TETCD_BIN, 'server', ...flags] };
  }
}
