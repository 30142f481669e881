/**
 * Raft core throughput: proposals/s through a 3-node cluster with an instant in-process network
 * (messages delivered immediately) and MemoryStorage. Measures the pure consensus CPU cost per
 * proposal, batching 1 or 64 proposals per round. Run: npx tsx bench/raft-core.bench.ts
 */
import { performance } from 'node:perf_hooks';
import { SeededRandom } from '../src/base/random.js';
import { MemoryStorage } from '../src/raft/memory-storage.js';
import { RawNode } from '../src/raft/raw-node.js';
import { StateType, type ConfState, type Message } from '../src/raft/types.js';

const PAYLOAD_BYTES = 128;
const DURATION_MS = Number(process.env.BENCH_MS ?? 3000);

interface BenchNode {
  node: RawNode;
  storage: MemoryStorage;
}

function makeCluster(): BenchNode[] {
  const voters = [1n, 2n, 3n];
  const confState: ConfState = { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  return voters.map((id) => {
    const storage = new MemoryStorage();
    storage.applySnapshot({ data: new Uint8Array(0), metadata: { index: 1, term: 1, confState } });
    const node = new RawNode({
      id, electionTick: 10, heartbeatTick: 1, storage, random: new SeededRandom(Number(id)), maxInflightMsgs: 256,
    });
    return { node, storage };
  });
}

/** Handles Readys and delivers messages until the cluster is quiet; returns entries applied on node 1. */
function settle(cluster: BenchNode[]): number {
  let applied = 0;
  for (;;) {
    const inbox: Message[] = [];
    let busy = false;
    cluster.forEach((n, i) => {
      if (!n.node.hasReady()) return;
      busy = true;
      const rd = n.node.ready();
      if (rd.snapshot !== undefined) n.storage.applySnapshot(rd.snapshot);
      n.storage.append(rd.entries);
      if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
      inbox.push(...rd.messages);
      if (i === 0) applied += rd.committedEntries.length;
      n.node.advance();
    });
    for (const m of inbox) cluster[Number(m.to) - 1]!.node.step(m);
    if (!busy && inbox.length === 0) return applied;
  }
}

interface BenchResult {
  proposalsPerSecond: number;
  /** Proposals per second of CPU time used by this process (robust against a loaded machine). */
  proposalsPerCpuSecond: number;
  rounds: number;
}

function run(batch: number): BenchResult {
  const cluster = makeCluster();
  cluster[0]!.node.campaign();
  settle(cluster);
  if (cluster[0]!.node.status().softState.raftState !== StateType.Leader) throw new Error('node 1 is not leader');
  const payload = new Uint8Array(PAYLOAD_BYTES).fill(7);
  let proposals = 0;
  let rounds = 0;
  let heartbeatRound = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  while (performance.now() - start < DURATION_MS) {
    for (let i = 0; i < batch; i++) {
      if (cluster[0]!.node.propose(payload) !== null) throw new Error('proposal dropped');
    }
    proposals += batch;
    settle(cluster);
    rounds++;
    // Keep the clocks moving like a real deployment (heartbeats, check-quorum).
    if (++heartbeatRound % 10 === 0) for (const n of cluster) n.node.tick();
    // Compact now and then so MemoryStorage does not grow without bound.
    if (rounds % 1000 === 0) {
      for (const n of cluster) {
        const applied = n.node.status().applied;
        if (applied > n.storage.firstIndex()) n.storage.compact(applied);
      }
    }
  }
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    proposalsPerSecond: Math.round((proposals * 1000) / elapsedMs),
    proposalsPerCpuSecond: Math.round((proposals * 1000) / cpuMs),
    rounds,
  };
}

console.log(`raft-core bench: 3 voters, instant network, MemoryStorage, ${PAYLOAD_BYTES}-byte proposals`);
for (const batch of [1, 64]) {
  run(batch); // warm-up
  const result = run(batch);
  console.log(`batch=${String(batch).padStart(2)}  ${result.proposalsPerSecond.toLocaleString('en-US')} proposals/s wall` +
    `  ${result.proposalsPerCpuSecond.toLocaleString('en-US')} proposals/s of CPU` +
    `  (${result.rounds.toLocaleString('en-US')} rounds in ${DURATION_MS} ms)`);
}
