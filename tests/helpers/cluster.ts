/**
 * Multi-member clusters of real etcd or tetcd as child processes, for tests/cluster. Each member gets
 * fresh 127.0.0.1 ports, its own temp root (data dir + log file that survives restarts) and its own
 * process group; every group still alive when the test process exits is SIGKILLed.
 *
 * Waiting is always event-driven (log lines, polling `etcdctl endpoint status`), never fixed sleeps.
 */
import { assert } from '../../src/base/assert.js';
import { requireOracleBinaries, requireTetcdBinary } from './binaries.js';
import { ClusterMember, parseEndpointStatus, parseJsonWithBigIds, waitFor, type EndpointStatus, type MemberSpec }
  from './cluster-member.js';
import { runEtcdctl, type EtcdctlResult } from './etcdctl.js';
import { allocatePort } from './ports.js';
import type { ServerKind } from './server.js';

export {
  ClusterMember, POLL_INTERVAL_MS, delay, parseEndpointStatus, parseJsonWithBigIds, waitFor,
  type EndpointStatus, type MemberSpec,
} from './cluster-member.js';

/** Default time one member gets to print READY_LINE (startup is slow on a loaded machine). */
export const CLUSTER_READY_TIMEOUT_MS_DEFAULT = 40_000;
/** Default time allowed for a leader to appear. */
export const LEADER_TIMEOUT_MS_DEFAULT = 30_000;
/** Raft timing used unless a test overrides it. */
export const HEARTBEAT_MS_DEFAULT = 100;
export const ELECTION_MS_DEFAULT = 1_000;
/** Time `member add` / `member remove` are retried while etcd reports an unhealthy cluster. */
const RECONFIGURE_TIMEOUT_MS = 30_000;
/** Lines quoted per member in failure reports. */
const LOG_TAIL_LINES = 40;

export interface ClusterOptions {
  kind: ServerKind;
  /** Number of initial voting members (default 3). */
  size?: number;
  token?: string;
  heartbeatMs?: number;
  electionMs?: number;
  snapshotCount?: number;
  readyTimeoutMs?: number;
  extraArgs?: readonly string[];
  /** URL schemes of the members (default 'http'); 'https' needs the TLS flags in extraArgs. */
  clientScheme?: 'http' | 'https';
  peerScheme?: 'http' | 'https';
  /** etcdctl flags the helper adds to its own etcdctl calls (e.g. --cacert/--cert/--key). */
  ctlArgs?: readonly string[];
}

/** Options for Cluster.addMember. */
export interface AddMemberOptions {
  learner?: boolean;
  /** Start the process after `member add` (default true). */
  start?: boolean;
}

let clusterSerial = 0;

/**
 * Runs a membership-changing etcdctl command. etcd refuses reconfiguration ("unhealthy cluster") until
 * every member has been connected for a few seconds; that one error is retried for a while.
 */
async function reconfigure(endpoints: string, args: readonly string[],
  ctlArgs: readonly string[] = []): Promise<EtcdctlResult> {
  return waitFor(args.slice(0, 2).join(' '), RECONFIGURE_TIMEOUT_MS, async () => {
    const attempt = await runEtcdctl(endpoints, [...ctlArgs, ...args]);
    if (attempt.exitCode !== 0 && attempt.stderr.includes('unhealthy cluster')) return undefined;
    return attempt;
  });
}

/** An N-member cluster; see Cluster.start. */
export class Cluster {
  readonly members: ClusterMember[] = [];
  /** Cluster id in hex as etcdctl prints it, once seen in a status or command output. */
  clusterIdHex: string | undefined;
  private nextIndex = 1;
  private readonly token: string;

  private constructor(readonly options: Required<Omit<ClusterOptions, 'snapshotCount'>> &
    { snapshotCount: number | undefined }) {
    clusterSerial += 1;
    this.token = options.token;
  }

  /**
   * Starts `size` members in parallel with fresh ports, waits until each printed the ready line and a
   * leader is known. On failure everything started is cleaned up.
   * @throws Error if a binary is missing, a member is not ready, or no leader appears in time.
   */
  static async start(options: ClusterOptions): Promise<Cluster> {
    if (options.kind === 'etcd') requireOracleBinaries();
    else requireTetcdBinary();
    const cluster = new Cluster({
      kind: options.kind, size: options.size ?? 3,
      token: options.token ?? `tetcd-test-${process.pid}-${clusterSerial + 1}`,
      heartbeatMs: options.heartbeatMs ?? HEARTBEAT_MS_DEFAULT, electionMs: options.electionMs ?? ELECTION_MS_DEFAULT,
      snapshotCount: options.snapshotCount, readyTimeoutMs: options.readyTimeoutMs ?? CLUSTER_READY_TIMEOUT_MS_DEFAULT,
      extraArgs: options.extraArgs ?? [],
      clientScheme: options.clientScheme ?? 'http', peerScheme: options.peerScheme ?? 'http',
      ctlArgs: options.ctlArgs ?? [],
    });
    try {
      const ports: Array<{ name: string; client: number; peer: number }> = [];
      for (let i = 0; i < cluster.options.size; i++) {
        ports.push({ name: `m${cluster.nextIndex++}`, client: await allocatePort(), peer: await allocatePort() });
      }
      const initialCluster = ports.map((p) => `${p.name}=${cluster.options.peerScheme}://127.0.0.1:${p.peer}`).join(',');
      for (const p of ports) {
        cluster.members.push(new ClusterMember(cluster.spec(p.name, p.client, p.peer, initialCluster, 'new')));
      }
      await Promise.all(cluster.members.map((m) => m.start()));
      await cluster.waitForLeader();
      return cluster;
    } catch (error) {
      if (error instanceof Error) error.message += `\n===== cluster logs =====\n${cluster.logReport()}`;
      await cluster.cleanup();
      throw error;
    }
  }

  get kind(): ServerKind { return this.options.kind; }

  /** Members whose process is alive. */
  running(): ClusterMember[] {
    return this.members.filter((m) => m.pid !== undefined);
  }

  /** Comma-separated endpoints of running members (or all members). */
  endpoints(members: readonly ClusterMember[] = this.running()): string {
    return members.map((m) => m.endpoint).join(',');
  }

  member(name: string): ClusterMember {
    const found = this.members.find((m) => m.name === name);
    assert(found !== undefined, `no member ${name}`);
    return found;
  }

  /**
   * `etcdctl endpoint status -w json` against each given member separately (a dead member is left out).
   */
  async statuses(members: readonly ClusterMember[] = this.running(), timeoutMs = 3_000): Promise<EndpointStatus[]> {
    const results = await Promise.all(members.map(async (m) => {
      const res = await runEtcdctl(m.endpoint, [...this.options.ctlArgs, 'endpoint', 'status', '-w', 'json',
        `--command-timeout=${timeoutMs}ms`],
        { timeoutMs: timeoutMs + 5_000 });
      if (res.exitCode !== 0) return undefined;
      const [status] = parseEndpointStatus(res.stdout);
      if (status !== undefined) {
        m.id = status.memberId;
        this.clusterIdHex = status.clusterId.toString(16);
      }
      return status;
    }));
    return results.filter((s): s is EndpointStatus => s !== undefined);
  }

  /**
   * Polls the given members (default: all running) until one reports a leader that is itself one of
   * them and that it agrees with; returns that leader.
   * @throws Error after `timeoutMs`.
   */
  async waitForLeader(timeoutMs = LEADER_TIMEOUT_MS_DEFAULT,
    among: () => readonly ClusterMember[] = () => this.running()): Promise<ClusterMember> {
    return waitFor('a leader', timeoutMs, async () => {
      const members = among();
      const statuses = await this.statuses(members);
      for (const status of statuses) {
        if (status.leaderId === 0n) continue;
        const leader = members.find((m) => m.id === status.leaderId);
        const self = statuses.find((s) => s.memberId === status.leaderId);
        if (leader !== undefined && self !== undefined && self.leaderId === status.leaderId) return leader;
      }
      return undefined;
    });
  }

  /** The current leader (waits for one). */
  leader(timeoutMs = LEADER_TIMEOUT_MS_DEFAULT): Promise<ClusterMember> {
    return this.waitForLeader(timeoutMs);
  }

  /** Running members other than the leader. */
  async followers(): Promise<ClusterMember[]> {
    const leader = await this.leader();
    return this.running().filter((m) => m !== leader);
  }

  /**
   * `etcdctl member add NAME --peer-urls=URL [--learner]` through a running member, then (by default)
   * starts the new member with the full initial cluster and `--initial-cluster-state existing`.
   * @returns the new member and etcdctl's stdout of `member add`.
   * @throws Error if `member add` fails or the new member does not become ready.
   */
  async addMember(options: AddMemberOptions = {}): Promise<{ member: ClusterMember; addOutput: string }> {
    const name = `m${this.nextIndex++}`;
    const client = await allocatePort();
    const peer = await allocatePort();
    const peerUrl = `${this.options.peerScheme}://127.0.0.1:${peer}`;
    const args = ['member', 'add', name, `--peer-urls=${peerUrl}`, ...(options.learner === true ? ['--learner'] : [])];
    const res = await reconfigure(this.endpoints(), args, this.options.ctlArgs);
    if (res.exitCode !== 0) throw new Error(`member add failed (${res.exitCode}): ${res.stderr}${res.stdout}`);
    const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(res.stdout)?.[1];
    assert(initialCluster !== undefined, `member add printed no ETCD_INITIAL_CLUSTER:\n${res.stdout}`);
    const idText = /Member +([0-9a-f]+) added/.exec(res.stdout)?.[1];
    const member = new ClusterMember(this.spec(name, client, peer, initialCluster, 'existing'));
    if (idText !== undefined) member.id = BigInt(`0x${idText}`);
    this.members.push(member);
    if (options.start !== false) await member.start();
    return { member, addOutput: res.stdout };
  }

  /** `etcdctl member remove <id>` through a running member other than `target`. */
  async removeMember(target: ClusterMember): Promise<string> {
    assert(target.id !== undefined, `${target.name} id unknown`);
    const via = this.running().filter((m) => m !== target);
    const res = await reconfigure(this.endpoints(via), ['member', 'remove', target.id.toString(16)], this.options.ctlArgs);
    if (res.exitCode !== 0) throw new Error(`member remove failed (${res.exitCode}): ${res.stderr}${res.stdout}`);
    return res.stdout;
  }

  /** Learns every member's id from endpoint status (running members only). */
  async refreshIds(): Promise<void> {
    await this.statuses();
  }

  /** `etcdctl endpoint hashkv` per running member: endpoint → hash. */
  async hashes(members: readonly ClusterMember[] = this.running()): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const m of members) {
      const res = await runEtcdctl(m.endpoint, [...this.options.ctlArgs, 'endpoint', 'hashkv', '-w', 'json']);
      if (res.exitCode !== 0) throw new Error(`hashkv on ${m.name} failed: ${res.stderr}`);
      const parsed = parseJsonWithBigIds(res.stdout) as Array<{ HashKV: { hash: number | string } }>;
      out.set(m.name, String(parsed[0]?.HashKV.hash));
    }
    return out;
  }

  /** Every member's log tail, for failure messages. */
  logReport(lines = LOG_TAIL_LINES): string {
    return this.members.map((m) => `----- ${m.kind} ${m.name} (pid ${m.pid ?? 'exited'}) ${m.logPath}\n` +
      m.logTail(lines)).join('\n');
  }

  /** Kills every member and removes temp dirs. Safe to call more than once. */
  async cleanup(): Promise<void> {
    await Promise.all(this.members.map((m) => m.cleanup()));
  }

  private spec(name: string, clientPort: number, peerPort: number, initialCluster: string,
    initialState: 'new' | 'existing'): MemberSpec {
    const o = this.options;
    return {
      kind: o.kind, name, clientPort, peerPort, initialCluster, initialState, token: this.token,
      heartbeatMs: o.heartbeatMs, electionMs: o.electionMs, extraArgs: o.extraArgs, readyTimeoutMs: o.readyTimeoutMs,
      clientScheme: o.clientScheme, peerScheme: o.peerScheme,
      ...(o.snapshotCount === undefined ? {} : { snapshotCount: o.snapshotCount }),
    };
  }
}

/**
 * Runs `body`; if it throws, appends every member's log tail to the error message (clusters may be
 * undefined if startup failed).
 */
export async function withClusterLogs<T>(clusters: ReadonlyArray<Cluster | undefined>,
  body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const report = clusters.filter((c): c is Cluster => c !== undefined).map((c) => c.logReport()).join('\n');
    if (error instanceof Error) error.message += `\n===== cluster logs =====\n${report}`;
    throw error;
  }
}
