/**
 * Fault injectors. Each takes the cluster, injects one fault, undoes it (heals, restarts, resumes) and
 * returns a FaultRecord; the runner waits for a leader between faults.
 */
import type { FaultRecord } from './history.js';
import type { RobustCluster, RobustMember } from './cluster.js';
import { RpcError, type MemberConnection } from './rpc.js';
import type { Rng } from './rng.js';

export const FAULTS = ['kill', 'pause', 'partition', 'oneway', 'moveLeader', 'replace', 'defrag', 'compact',
  'powerloss'] as const;
export type FaultName = typeof FAULTS[number];

/** How long a partition, pause or one-way loss lasts. */
const HOLD_MS = 3_000;
/** Time a killed member stays down. */
const DOWN_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface FaultContext {
  cluster: RobustCluster;
  rng: Rng;
  now(): number;
  /** Highest revision that is safe to compact (all watchers are past it). */
  compactableRev(): number;
}

function running(cluster: RobustCluster): RobustMember[] {
  return cluster.active().filter((m) => m.pid !== undefined);
}

async function withConn<T>(cluster: RobustCluster, m: RobustMember,
  body: (c: MemberConnection) => Promise<T>): Promise<T> {
  const conn = cluster.connect(m);
  try {
    return await body(conn);
  } catch (error) {
    // The member forgot the harness's token (restart, token TTL): the connection re-authenticates once.
    if (!(error instanceof RpcError) || !error.message.includes('auth token')) throw error;
    return await body(conn);
  } finally {
    conn.close();
  }
}

/** Waits until every member the harness wants up is running (crash restarts included). */
export async function waitAllUp(cluster: RobustCluster, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (cluster.active().some((m) => m.pid === undefined || !m.ready)) {
    if (Date.now() > deadline) throw new Error('members did not come back up');
    for (const m of cluster.active()) {
      if (m.pid === undefined && !m.wanted) await m.start();
    }
    await sleep(100);
  }
}

async function inject(name: FaultName, ctx: FaultContext): Promise<{ target: string; note?: string }> {
  const { cluster, rng } = ctx;
  const victim = rng.pick(running(cluster));
  const others = cluster.active().filter((m) => m !== victim);
  switch (name) {
    case 'kill':
      await victim.kill();
      await sleep(DOWN_MS);
      await victim.start();
      return { target: victim.name };
    case 'pause':
      victim.signal('SIGSTOP');
      await sleep(HOLD_MS);
      victim.signal('SIGCONT');
      return { target: victim.name };
    case 'partition':
      for (const o of others) {
        cluster.network.block(victim.name, o.name);
        cluster.network.block(o.name, victim.name);
      }
      await sleep(HOLD_MS);
      cluster.network.healAll();
      return { target: victim.name };
    case 'oneway': {
      const to = rng.pick(others);
      cluster.network.block(victim.name, to.name);
      await sleep(HOLD_MS);
      cluster.network.healAll();
      return { target: `${victim.name}->${to.name}` };
    }
    case 'moveLeader': {
      const leader = await cluster.leader();
      await cluster.refreshIds();
      const target = rng.pick(cluster.active()
        .filter((m) => m !== leader && m.pid !== undefined && m.id !== undefined));
      await withConn(cluster, leader, (c) => c.moveLeader(target.id!));
      return { target: `${leader.name}->${target.name}` };
    }
    case 'replace': {
      const fresh = await cluster.replace(victim);
      return { target: victim.name, note: `replaced by ${fresh.name}` };
    }
    case 'defrag':
      await withConn(cluster, victim, (c) => c.defragment());
      return { target: victim.name };
    case 'compact': {
      const rev = ctx.compactableRev();
      if (rev < 2) return { target: victim.name, note: 'nothing to compact' };
      await withConn(cluster, victim, (c) => c.compact({ revision: rev, physical: true }));
      return { target: victim.name, note: `at ${rev}` };
    }
    case 'powerloss': {
      // Every member loses its un-fsynced WAL tail at the same moment; the supervisor restarts them.
      const all = running(cluster);
      for (const m of all) m.signal('SIGUSR2');
      await Promise.all(all.map((m) => m.waitExit()));
      await sleep(DOWN_MS);
      await waitAllUp(cluster);
      return { target: all.map((m) => m.name).join(',') };
    }
  }
}

/** Injects `name`, records it, then waits for the cluster to have a leader again. */
export async function runFault(name: FaultName, ctx: FaultContext): Promise<FaultRecord> {
  const startMs = ctx.now();
  let record: FaultRecord;
  try {
    const { target, note } = await inject(name, ctx);
    record = { name, target, startMs, endMs: ctx.now(), ok: true, ...(note === undefined ? {} : { note }) };
  } catch (error) {
    record = { name, target: '?', startMs, endMs: ctx.now(), ok: false, note: String(error) };
  }
  await waitAllUp(ctx.cluster);
  await ctx.cluster.leader();
  return record;
}
