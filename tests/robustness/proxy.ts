/**
 * A fault-injecting TCP proxy in front of each member's peer port. Members advertise the proxy's URL, so
 * every peer connection to member B arrives at B's proxy. The proxy learns which member opened a
 * connection from Linux's socket tables (the connecting socket's inode in /proc/net/tcp, found among the
 * members' /proc/PID/fd), so it can drop traffic per direction:
 *   - block(from, to): connections from `from` to `to` are black-holed (accepted, read and discarded, never
 *     answered), like packets lost on a dead link; existing ones are cut first.
 *   - unblock(from, to): black-holed connections are closed so the sender reconnects cleanly.
 * A partition is block in both directions; one-way loss is block in one.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Conn { from: string | undefined; client: Socket; upstream: Socket | undefined }

/** Finds the pid (among `pids`) owning the 127.0.0.1 socket whose local port is `port`. */
export function ownerOfLocalPort(port: number, pids: ReadonlyMap<string, number>): string | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let inode: string | undefined;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = readFileSync(file, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(`:${hexPort}`) === true && fields[1].includes('0100007F')) inode = fields[9];
    }
    if (inode !== undefined) break;
  }
  if (inode === undefined || inode === '0') return undefined;
  const target = `socket:[${inode}]`;
  for (const [name, pid] of pids) {
    let fds: string[] = [];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return name;
      } catch { /* fd closed meanwhile */ }
    }
  }
  return undefined;
}

/** The proxies of all members plus the blocking rules between them. */
export class PeerNetwork {
  private readonly servers = new Map<string, Server>();
  private readonly conns = new Map<string, Set<Conn>>();
  private readonly blocked = new Set<string>();

  /** @param pids current pid of each member by name (read at each accept). */
  constructor(private readonly pids: () => ReadonlyMap<string, number>) {}

  /** Starts the proxy for member `to` on `listenPort`, forwarding to `targetPort`. */
  async addProxy(to: string, listenPort: number, targetPort: number): Promise<void> {
    const conns = new Set<Conn>();
    this.conns.set(to, conns);
    const server = createServer((client) => this.accept(to, targetPort, client, conns));
    this.servers.set(to, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: listenPort }, () => resolve());
    });
  }

  /** Black-holes traffic sent by `from` to `to`. */
  block(from: string, to: string): void {
    this.blocked.add(`${from}->${to}`);
    this.cut(from, to);
  }

  unblock(from: string, to: string): void {
    if (!this.blocked.delete(`${from}->${to}`)) return;
    this.cut(from, to);
  }

  /** Removes every rule (and cuts the black-holed connections). */
  healAll(): void {
    for (const rule of [...this.blocked]) {
      const [from = '', to = ''] = rule.split('->');
      this.unblock(from, to);
    }
  }

  rules(): string[] {
    return [...this.blocked];
  }

  async close(): Promise<void> {
    for (const conns of this.conns.values()) for (const c of conns) { c.client.destroy(); c.upstream?.destroy(); }
    await Promise.all([...this.servers.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private cut(from: string, to: string): void {
    for (const conn of this.conns.get(to) ?? []) {
      if (conn.from === from) { conn.client.destroy(); conn.upstream?.destroy(); }
    }
  }

  private accept(to: string, targetPort: number, client: Socket, conns: Set<Conn>): void {
    const from = client.remotePort === undefined ? undefined : ownerOfLocalPort(client.remotePort, this.pids());
    const conn: Conn = { from, client, upstream: undefined };
    conns.add(conn);
    client.on('error', () => undefined);
    client.on('close', () => { conns.delete(conn); conn.upstream?.destroy(); });
    if (from !== undefined && this.blocked.has(`${from}->${to}`)) {
      client.on('data', () => undefined); // black hole
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    conn.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
