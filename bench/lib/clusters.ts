/**
 * Starts and stops 1-, 3- or 5-member clusters of tetcd (bin/tetcd → dist) or etcd (/usr/bin/etcd) on
 * free 127.0.0.1 ports with fresh data dirs, and samples the CPU time of their process trees, for the
 * comparison benchmarks in bench/.
 *
 *   const cluster = await startCluster('tetcd', 3, scratchDir);
 *   const before = clusterCpuMs(cluster);  ...  await stopCluster(cluster);
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { sampleProcessTree, stopChild } from './proc-tree.js';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdClient } from '../../src/client/index.js';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const ETCD_BIN = '/usr/bin/etcd';
/** TETCD_BIN=/path/to/main.js runs another build (e.g. a saved "before" build) instead of bin/tetcd. */
const TETCD_BIN = process.env['TETCD_BIN'] ?? join(ROOT, 'bin/tetcd');
const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 200;

export type ServerKind = 'etcd' | 'tetcd';

export interface Member { name: string; child: ChildProcess; endpoint: string; logPath: string }
export interface Cluster { kind: ServerKind; members: Member[] }

const children = new Set<ChildProcess>();
process.on('exit', () => { for (const child of children) child.kill('SIGKILL'); });

/** A free 127.0.0.1 TCP port (bind to 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolvePort(port) : reject(new Error('no port'))));
    });
  });
}

let serial = 0;

/** Starts `size` members with etcd's bootstrap flags and waits until a put succeeds. */
export async function startCluster(kind: ServerKind, size: number, scratch: string,
  extraFlags: string[] = []): Promise<Cluster> {
  serial++;
  const ports: Array<{ client: number; peer: number }> = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const names = ports.map((_, i) => `m${i}`);
  const initialCluster = ports.map((p, i) => `${names[i]}=http://127.0.0.1:${p.peer}`).join(',');
  const members: Member[] = ports.map((p, i) => {
    const name = names[i]!;
    const clientUrl = `http://127.0.0.1:${p.client}`;
    const peerUrl = `http://127.0.0.1:${p.peer}`;
    const flags = [`--name=${name}`, `--data-dir=${join(scratch, `${kind}-${serial}-${name}`)}`,
      `--listen-client-urls=${clientUrl}`, `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${initialCluster}`, '--initial-cluster-state=new',
      `--initial-cluster-token=bench-${serial}`, ...extraFlags];
    const [command, args] = kind === 'etcd' ? [ETCD_BIN, flags] : [process.execPath, [TETCD_BIN, 'server', ...flags]];
    const logPath = join(scratch, `${kind}-${serial}-${name}.log`);
    const log = openSync(logPath, 'a');
    const child = spawn(command, args, { stdio: ['ignore', log, log] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return { name, child, endpoint: `127.0.0.1:${p.client}`, logPath };
  });
  const cluster = { kind, members };
  await waitReady(cluster);
  return cluster;
}

function logTail(path: string): string {
  try { return readFileSync(path, 'utf8').split('\n').slice(-30).join('\n'); } catch { return '(no log)'; }
}

async function waitReady(cluster: Cluster): Promise<void> {
  const client = new EtcdClient({ endpoints: cluster.members.map((m) => m.endpoint), requestTimeoutMs: 2_000 });
  const startMs = performance.now();
  try {
    for (;;) {
      for (const m of cluster.members) {
        if (m.child.exitCode !== null || m.child.signalCode !== null) {
          throw new Error(`${cluster.kind} ${m.name} exited during start-up; log tail:\n${logTail(m.logPath)}`);
        }
      }
      try {
        await client.put({ key: new TextEncoder().encode('bench-ready'), value: new Uint8Array(0) });
        return;
      } catch (error) {
        if (performance.now() - startMs > READY_TIMEOUT_MS) {
          throw new Error(`${cluster.kind} not ready after ${READY_TIMEOUT_MS} ms (${String(error)})`);
        }
        await sleep(READY_POLL_MS);
      }
    }
  } finally {
    client.close();
  }
}

/** The client endpoint of the current leader (asks each member's Status). */
export async function leaderEndpoint(cluster: Cluster): Promise<string> {
  for (const m of cluster.members) {
    const client = new EtcdClient({ endpoints: [m.endpoint], requestTimeoutMs: 2_000 });
    try {
      const status = await client.status();
      if (status.leader !== 0n && status.leader === status.header?.memberId) return m.endpoint;
    } finally {
      client.close();
    }
  }
  throw new Error(`${cluster.kind}: no member reports itself leader`);
}

export async function stopCluster(cluster: Cluster): Promise<void> {
  await Promise.all(cluster.members.map((m) => stopChild(m.child)));
}

/** CPU time (utime + stime) of `pids` and all their descendants, in ms. */
export function treeCpuMs(pids: number[]): number {
  return sampleProcessTree(pids).cpuMs;
}

export function clusterCpuMs(cluster: Cluster): number {
  return treeCpuMs(cluster.members.map((m) => m.child.pid!));
}
