/**
 * HAProxy (the Debian package, /usr/sbin/haproxy) in front of test servers, with the K3s HA guide's TCP
 * configuration (shared/runbooks/k3s-embedded-etcd-ha.txt, "haproxy.cfg"): `mode tcp`, `option tcplog`,
 * `balance roundrobin`, `option tcp-check` + `tcp-check connect`, `check fall 3 rise 2`, the guide's
 * timeouts. Differences, for a test: it binds 127.0.0.1 on a free port instead of `*:6443`; no chroot,
 * user/group, daemon or syslog (they need root); the stats socket is in the temp dir; the check interval
 * is short (`inter`) so a killed server is marked DOWN in well under a second instead of ~6 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert } from '../../src/base/assert.js';
import { waitFor } from './cluster-member.js';
import { allocatePort } from './ports.js';
import { liveGroups, signalGroup } from './process-groups.js';

export const HAPROXY_BIN = process.env['HAPROXY_BIN'] ?? '/usr/sbin/haproxy';
/** Health-check interval of each backend server (the guide uses HAProxy's default, 2 s). */
export const HAPROXY_CHECK_INTER_MS_DEFAULT = 200;
/** Time HAProxy gets to accept connections and to see the backends. */
const HAPROXY_READY_TIMEOUT_MS = 15_000;

/**
 * @throws Error with an install hint if HAProxy is missing (tests fail, never skip).
 */
export function requireHaproxy(): void {
  if (!existsSync(HAPROXY_BIN)) {
    throw new Error(`HAProxy not found at ${HAPROXY_BIN}: install the Debian package (apt-get install -y haproxy) ` +
      'or set HAPROXY_BIN');
  }
}

export interface HaproxyBackend { name: string; port: number }

/** A running HAProxy with one TCP frontend on 127.0.0.1. */
export class Haproxy {
  private constructor(readonly port: number, private readonly dir: string, private readonly child: ChildProcess,
    private readonly exited: Promise<void>) {}

  /** `127.0.0.1:PORT` of the frontend, as etcdctl's --endpoints takes it. */
  get endpoint(): string { return `127.0.0.1:${this.port}`; }
  get logPath(): string { return join(this.dir, 'haproxy.log'); }

  /**
   * Writes the config, starts HAProxy in the foreground and waits until every backend is UP.
   * @throws Error if HAProxy is missing, rejects the config, or is not ready in time.
   */
  static async start(backends: readonly HaproxyBackend[],
    checkInterMs = HAPROXY_CHECK_INTER_MS_DEFAULT): Promise<Haproxy> {
    requireHaproxy();
    const dir = mkdtempSync(join(tmpdir(), 'tetcd-haproxy-'));
    const port = await allocatePort();
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfig(port, join(dir, 'admin.sock'), backends, checkInterMs));
    const child = spawn(HAPROXY_BIN, ['-f', cfg, '-db'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    assert(child.pid !== undefined, 'spawn haproxy failed');
    liveGroups.add(child.pid);
    const pid = child.pid;
    const log = join(dir, 'haproxy.log');
    child.stdout?.on('data', (chunk: Buffer) => appendFileSync(log, chunk));
    child.stderr?.on('data', (chunk: Buffer) => appendFileSync(log, chunk));
    const exited = new Promise<void>((resolve) => child.once('close', () => { liveGroups.delete(pid); resolve(); }));
    const proxy = new Haproxy(port, dir, child, exited);
    try {
      for (const b of backends) await proxy.waitForServer(b.name, 'UP', HAPROXY_READY_TIMEOUT_MS);
    } catch (error) {
      await proxy.stop();
      throw error;
    }
    return proxy;
  }

  /** `show stat` on the stats socket: backend server name → status (UP, DOWN, ...). */
  async serverStatuses(): Promise<Map<string, string>> {
    const csv = await statsCommand(join(this.dir, 'admin.sock'), 'show stat');
    const lines = csv.split('\n').filter((l) => l !== '');
    const header = lines[0]?.replace(/^# /, '').split(',') ?? [];
    const [pxCol, svCol, statusCol] = ['pxname', 'svname', 'status'].map((h) => header.indexOf(h));
    const out = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const cols = line.split(',');
      if (cols[pxCol!] === 'tetcd_servers' && cols[svCol!] !== 'BACKEND') out.set(cols[svCol!]!, cols[statusCol!]!);
    }
    return out;
  }

  /** Resolves once HAProxy's health checks report `status` for `server`. */
  async waitForServer(server: string, status: 'UP' | 'DOWN', timeoutMs: number): Promise<void> {
    await waitFor(`haproxy to mark ${server} ${status}`, timeoutMs, async () => {
      if (this.child.exitCode !== null) throw new Error(`haproxy exited:\n${this.logTail()}`);
      return (await this.serverStatuses()).get(server) === status ? true : undefined;
    });
  }

  logTail(): string {
    try { return readFileSync(this.logPath, 'utf8').split('\n').slice(-20).join('\n'); } catch { return ''; }
  }

  /** Stops HAProxy and removes its temp dir (kept with E2E_KEEP_TMP=1). */
  async stop(): Promise<void> {
    if (this.child.pid !== undefined && this.child.exitCode === null) signalGroup(this.child.pid, 'SIGKILL');
    await this.exited;
    if (process.env['E2E_KEEP_TMP'] !== '1') rmSync(this.dir, { recursive: true, force: true });
  }
}

function haproxyConfig(port: number, socket: string, backends: readonly HaproxyBackend[], interMs: number): string {
  return [
    'global',
    `    stats socket ${socket} mode 600 level admin`,
    '    stats timeout 30s',
    '',
    'defaults',
    '    mode    tcp',
    '    option  tcplog',
    '    option  dontlognull',
    '    timeout connect 5000',
    '    timeout client  50000',
    '    timeout server  50000',
    '',
    'frontend tetcd_clients',
    `    bind 127.0.0.1:${port}`,
    '    mode tcp',
    '    default_backend tetcd_servers',
    '',
    'backend tetcd_servers',
    '    mode tcp',
    '    balance roundrobin',
    '    option tcp-check',
    '    # Health check the client port',
    '    tcp-check connect',
    ...backends.map((b) => `    server ${b.name} 127.0.0.1:${b.port} check inter ${interMs} fall 3 rise 2`),
    '',
  ].join('\n');
}

/** One command on HAProxy's stats socket; resolves with the whole answer. */
function statsCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk: string) => { text += chunk; });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}
