/**
 * A cluster of real `tetcd server` processes for the robustness runs. Unlike tests/helpers/cluster.ts,
 * each member advertises its peer proxy's URL (tests/robustness/proxy.ts) so the harness can cut links,
 * and members may run with crash-point environment variables and be restarted by a supervisor when a
 * crash point kills them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TETCD_BIN } from '../helpers/binaries.js';
import { liveGroups, signalGroup } from '../helpers/process-groups.js';
import { allocatePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/cluster-member.js';
import { READY_LINE } from '../helpers/server.js';
import { PeerNetwork } from './proxy.js';
import { MemberConnection, type Security } from './rpc.js';

const READY_TIMEOUT_MS = 40_000;
const POLL_MS = 100;
const LEADER_TIMEOUT_MS = 30_000;
/** Supervisor delay before restarting a member that a crash point killed. */
const CRASH_RESTART_DELAY_MS = 300;

export interface RobustClusterOptions {
  size: number;
  /** Extra environment for every member (crash points, canary). */
  env?: Record<string, string>;
  heartbeatMs?: number;
  electionMs?: number;
  snapshotCount?: number;
  log?: (line: string) => void;
  /** Client TLS: members serve https with this certificate (the secure profile). */
  clientTls?: { certFile: string; keyFile: string; caPem: Buffer };
  /** Extra server flags for every member. */
  extraArgs?: readonly string[];
}

/** One member process. */
export class RobustMember {
  readonly rootDir: string;
  readonly dataDir: string;
  readonly logPath: string;
  id: bigint | undefined;
  child: ChildProcess | undefined;
  /** True while the harness wants it running (a crash then triggers an automatic restart). */
  wanted = false;
  removed = false;
  /** True once the latest start printed the ready line. */
  ready = false;
  crashes = 0;
  private starts = 0;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly name: string, readonly clientPort: number, readonly peerPort: number, readonly proxyPort: number,
    public initialCluster: string, public initialState: 'new' | 'existing', private readonly cluster: RobustCluster) {
    this.rootDir = mkdtempSync(join(tmpdir(), `tetcd-robust-${name}-`));
    this.dataDir = join(this.rootDir, 'data');
    this.logPath = join(this.rootDir, 'server.log');
  }

  get endpoint(): string { return `127.0.0.1:${this.clientPort}`; }
  private get clientUrl(): string {
    return `${this.cluster.options.clientTls === undefined ? 'http' : 'https'}://${this.endpoint}`;
  }
  get proxyUrl(): string { return `http://127.0.0.1:${this.proxyPort}`; }
  get pid(): number | undefined {
    const c = this.child;
    return c !== undefined && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  }

  log(): string {
    try { return readFileSync(this.logPath, 'utf8'); } catch { return ''; }
  }

  /**
   * Spawns the process and waits for the ready line (across supervisor restarts). Throws if it is killed
   * by the harness meanwhile or is not ready in time.
   */
  async start(): Promise<void> {
    this.spawnProcess();
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      // A crash point may kill it while starting: the supervisor then respawns it (a new start marker).
      const text = this.log();
      if (text.slice(text.lastIndexOf(`=== start #${this.starts}:`)).includes(READY_LINE)) break;
      if (this.cluster.closing || !this.wanted) throw new Error(`${this.name} stopped during start; log ${this.logPath}`);
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${READY_TIMEOUT_MS} ms; log ${this.logPath}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    this.ready = true;
  }

  async kill(): Promise<void> {
    this.wanted = false;
    const pid = this.pid;
    if (pid === undefined) return;
    signalGroup(pid, 'SIGCONT');
    signalGroup(pid, 'SIGKILL');
    await this.exited;
  }

  /** Sends a signal to the process group (SIGSTOP, SIGCONT, SIGUSR2 for a power loss). */
  signal(sig: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid !== undefined) signalGroup(pid, sig);
  }

  waitExit(): Promise<void> {
    return this.exited;
  }

  private spawnProcess(): void {
    const args = [TETCD_BIN, 'server', '--name', this.name, '--data-dir', this.dataDir,
      '--listen-client-urls', this.clientUrl, '--advertise-client-urls', this.clientUrl,
      '--listen-peer-urls', `http://127.0.0.1:${this.peerPort}`, '--initial-advertise-peer-urls', this.proxyUrl,
      '--initial-cluster', this.initialCluster, '--initial-cluster-state', this.initialState,
      '--initial-cluster-token', this.cluster.token,
      '--heartbeat-interval', String(this.cluster.options.heartbeatMs ?? 100),
      '--election-timeout', String(this.cluster.options.electionMs ?? 1_000),
      ...(this.cluster.options.snapshotCount === undefined ? [] : ['--snapshot-count',
        String(this.cluster.options.snapshotCount)]),
      ...(this.cluster.options.clientTls === undefined ? [] : ['--cert-file', this.cluster.options.clientTls.certFile,
        '--key-file', this.cluster.options.clientTls.keyFile]),
      ...this.cluster.options.extraArgs ?? [],
    ];
    this.starts += 1;
    this.ready = false;
    appendFileSync(this.logPath, `=== start #${this.starts}: ${args.join(' ')}\n`);
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD')));
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...base, ...this.cluster.options.env } });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`spawn ${this.name} failed`);
    this.child = child;
    this.wanted = true;
    liveGroups.add(pid);
    const onData = (chunk: Buffer): void => appendFileSync(this.logPath, chunk);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => child.once('close', () => {
      liveGroups.delete(pid);
      resolve();
      if (this.wanted && !this.cluster.closing) this.onCrash();
    }));
  }

  /** A crash point (or the power-loss signal) killed it: restart like a supervisor would. */
  private onCrash(): void {
    this.crashes += 1;
    this.cluster.options.log?.(`${this.name} crashed (crash #${this.crashes}); restarting`);
    setTimeout(() => {
      if (!this.wanted || this.cluster.closing || this.pid !== undefined) return;
      this.start().catch((e: unknown) => this.cluster.options.log?.(`${this.name} restart failed: ${String(e)}`));
    }, CRASH_RESTART_DELAY_MS);
  }
}

/** N members behind a PeerNetwork. */
export class RobustCluster {
  readonly members: RobustMember[] = [];
  readonly network: PeerNetwork;
  readonly token = `robust-${process.pid}-${Date.now()}`;
  closing = false;
  /** Credentials of the harness's own calls (root once auth is enabled); TLS only before. */
  adminSecurity: Security | undefined;
  private nextIndex = 1;

  private constructor(readonly options: RobustClusterOptions) {
    if (options.clientTls !== undefined) this.adminSecurity = { caPem: options.clientTls.caPem };
    this.network = new PeerNetwork(() => new Map(this.active()
      .flatMap((m) => m.pid === undefined ? [] : [[m.name, m.pid]])));
  }

  /** Starts `size` members and waits for a leader. Cleans up and throws on failure. */
  static async start(options: RobustClusterOptions): Promise<RobustCluster> {
    const cluster = new RobustCluster(options);
    try {
      const specs = [];
      for (let i = 0; i < options.size; i++) specs.push(await cluster.allocate());
      const initial = specs.map((s) => `${s.name}=http://127.0.0.1:${s.proxy}`).join(',');
      for (const s of specs) {
        const m = new RobustMember(s.name, s.client, s.peer, s.proxy, initial, 'new', cluster);
        await cluster.network.addProxy(m.name, m.proxyPort, m.peerPort);
        cluster.members.push(m);
      }
      await Promise.all(cluster.members.map((m) => m.start()));
      await cluster.leader();
      return cluster;
    } catch (error) {
      await cluster.close(false);
      throw error;
    }
  }

  /** Members not removed from the cluster. */
  active(): RobustMember[] {
    return this.members.filter((m) => !m.removed);
  }

  /** Waits until a running member reports a leader that is one of ours; returns it. */
  async leader(timeoutMs = LEADER_TIMEOUT_MS): Promise<RobustMember> {
    return waitFor('a leader', timeoutMs, async () => {
      for (const m of this.active()) {
        if (m.pid === undefined) continue;
        const conn = this.connect(m);
        try {
          const s = await conn.status();
          m.id = s.header?.memberId;
          const leader = this.active().find((x) => x.id === s.leader) ??
            (s.leader === m.id ? m : undefined);
          if (s.leader !== 0n && leader !== undefined && leader.pid !== undefined) return leader;
        } catch { /* try the next */ } finally { conn.close(); }
      }
      return undefined;
    });
  }

  /** Learns every running member's id. */
  async refreshIds(): Promise<void> {
    for (const m of this.active()) {
      if (m.pid === undefined) continue;
      const conn = this.connect(m);
      try { m.id = (await conn.status()).header?.memberId; } catch { /* down */ } finally { conn.close(); }
    }
  }

  /**
   * Member replacement: removes `victim` (through another member), kills it, adds a fresh member with a
   * new data dir and starts it. Returns the new member.
   */
  async replace(victim: RobustMember): Promise<RobustMember> {
    await this.refreshIds();
    const via = this.active().find((m) => m !== victim && m.pid !== undefined);
    if (via === undefined || victim.id === undefined) throw new Error('replace: no member to act through');
    const conn = this.connect(via);
    try {
      await conn.memberRemove(victim.id);
      victim.removed = true;
      await victim.kill();
      const s = await this.allocate();
      const initial = [...this.active().map((m) => `${m.name}=${m.proxyUrl}`), `${s.name}=http://127.0.0.1:${s.proxy}`]
        .join(',');
      const fresh = new RobustMember(s.name, s.client, s.peer, s.proxy, initial, 'existing', this);
      await this.network.addProxy(fresh.name, fresh.proxyPort, fresh.peerPort);
      await waitFor('member add', 30_000, async () => {
        try { await conn.memberAdd([fresh.proxyUrl]); return true; } catch (e) {
          if (String((e as Error).message).includes('unhealthy')) return undefined;
          throw e;
        }
      });
      this.members.push(fresh);
      await fresh.start();
      return fresh;
    } finally {
      conn.close();
    }
  }

  /** A connection for the harness's own calls to `m` (with `adminSecurity`); close it after use. */
  connect(m: RobustMember, callTimeoutMs?: number): MemberConnection {
    return new MemberConnection(m.endpoint, callTimeoutMs, this.adminSecurity);
  }

  /** Copies every member's data dir and log into `dir` (for a failure report). */
  copyArtifacts(dir: string): void {
    for (const m of this.members) {
      try { cpSync(m.rootDir, join(dir, m.name), { recursive: true }); } catch { /* best effort */ }
    }
  }

  /** Kills everything; removes temp dirs unless `keep`. */
  async close(keep = process.env['E2E_KEEP_TMP'] === '1'): Promise<void> {
    this.closing = true;
    await Promise.all(this.members.map((m) => m.kill()));
    await this.network.close();
    if (!keep) for (const m of this.members) rmSync(m.rootDir, { recursive: true, force: true });
  }

  private async allocate(): Promise<{ name: string; client: number; peer: number; proxy: number }> {
    return { name: `m${this.nextIndex++}`, client: await allocatePort(), peer: await allocatePort(),
      proxy: await allocatePort() };
  }
}
