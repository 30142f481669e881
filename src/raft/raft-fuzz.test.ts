/**
 * Randomized cluster test: 3-5 nodes on MemoryStorage with a lossy, reordering, duplicating network,
 * partitions, crashes/restarts and log compaction. Checks election safety (one leader per term),
 * state machine safety (no two nodes apply different entries at one index) and, after healing,
 * liveness (a leader commits new proposals everywhere). SEED=n replays one run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/random.js';
import { decodeConfChangeV2 } from './conf-change-codec.js';
import type { RaftLogger } from './logger.js';
import { MemoryStorage, emptyConfState } from './memory-storage.js';
import { RawNode } from './raw-node.js';
import {
  ConfChangeTransition, ConfChangeType, EntryType, MessageType, StateType,
  type ConfChangeSingle, type ConfState, type Message, type NodeId,
} from './types.js';

interface SimNode {
  id: NodeId;
  storage: MemoryStorage;
  node: RawNode;
  applied: number;
  up: boolean;
  /** ConfState after each applied index where it changed (for snapshots). */
  confHistory: { index: number; confState: ConfState }[];
}

/** Highest node id a membership change may add. */
const NODE_ID_MAX = 7;

const STEPS = 3000;
const RUNS = Number(process.env.FUZZ_RUNS ?? '8');

class Cluster {
  readonly nodes: SimNode[] = [];
  pool: Message[] = [];
  readonly leaders = new Map<number, NodeId>();
  readonly appliedAt = new Map<number, string>();
  partitioned = new Set<NodeId>();
  proposals = 0;

  constructor(readonly rng: SeededRandom, count: number, readonly membershipChanges: boolean) {
    const voters = Array.from({ length: count }, (_, i) => BigInt(i + 1));
    const confState: ConfState = { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
    const total = membershipChanges ? NODE_ID_MAX : count;
    for (let i = 1; i <= total; i++) {
      const id = BigInt(i);
      const storage = new MemoryStorage();
      const member = i <= count;
      if (member) storage.applySnapshot({ data: new Uint8Array(0), metadata: { index: 1, term: 1, confState } });
      const history = [{ index: member ? 1 : 0, confState: member ? confState : emptyConfState() }];
      const node = this.newNode(id, storage, 0);
      this.nodes.push({ id, storage, node, applied: member ? 1 : 0, up: true, confHistory: history });
    }
  }

  newNode(id: NodeId, storage: MemoryStorage, applied: number): RawNode {
    return new RawNode({
      id, electionTick: 10, heartbeatTick: 2, storage, random: new SeededRandom(this.rng.intBelow(1 << 30)),
      maxInflightMsgs: 4, maxSizePerMsg: 64, applied,
    }, process.env.FUZZ_TRACE === '1' ? traceLogger(id) : undefined);
  }

  handleReady(n: SimNode): void {
    if (!n.up || !n.node.hasReady()) return;
    const rd = n.node.ready();
    if (rd.snapshot !== undefined) {
      n.storage.applySnapshot(rd.snapshot);
      n.applied = rd.snapshot.metadata.index;
      n.confHistory.push({ index: n.applied, confState: rd.snapshot.metadata.confState });
    }
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    for (const m of rd.messages) this.pool.push(m);
    for (const e of rd.committedEntries) {
      assert.equal(e.index, n.applied + 1, `node ${n.id} applies ${e.index} after ${n.applied}`);
      if (e.type === EntryType.ConfChangeV2) {
        const confState = n.node.applyConfChange(decodeConfChangeV2(e.data));
        n.confHistory.push({ index: e.index, confState });
      }
      const key = `${e.term}:${new TextDecoder().decode(e.data)}`;
      const previous = this.appliedAt.get(e.index);
      if (previous !== undefined) assert.equal(key, previous, `state machine safety at index ${e.index}`);
      this.appliedAt.set(e.index, key);
      n.applied = e.index;
    }
    n.node.advance();
    this.checkLeader(n);
  }

  checkLeader(n: SimNode): void {
    const st = n.node.status();
    if (st.softState.raftState !== StateType.Leader) return;
    const existing = this.leaders.get(st.hardState.term);
    if (existing !== undefined) assert.equal(existing, n.id, `two leaders in term ${st.hardState.term}`);
    this.leaders.set(st.hardState.term, n.id);
  }

  deliverOne(lossy: boolean): void {
    if (this.pool.length === 0) return;
    const index = lossy ? this.rng.intBelow(this.pool.length) : 0;
    const m = this.pool[index]!;
    const duplicate = lossy && this.rng.float() < 0.05;
    if (!duplicate) this.pool.splice(index, 1);
    const blocked = this.partitioned.has(m.from) !== this.partitioned.has(m.to);
    const target = this.nodes.find((x) => x.id === m.to);
    const lost = (lossy && this.rng.float() < 0.1) || blocked || target === undefined || !target.up;
    if (m.type === MessageType.Snap && !duplicate) this.reportSnapshot(m, lost ? 'failure' : 'finish');
    if (lost) return;
    target.node.step(m);
  }

  /** Like a transport, tells the sender how a snapshot transfer ended (the Ready contract requires it). */
  reportSnapshot(m: Message, status: 'finish' | 'failure'): void {
    const sender = this.nodes.find((x) => x.id === m.from);
    if (sender !== undefined && sender.up) sender.node.reportSnapshot(m.to, status);
  }

  randomAction(): void {
    const n = this.nodes[this.rng.intBelow(this.nodes.length)]!;
    if (!n.up && this.rng.float() < 0.02) this.crashOrRestart(n);
    const roll = this.rng.float();
    if (roll < 0.15) {
      if (n.up) n.node.tick();
    } else if (roll < 0.3) {
      if (n.up && n.node.propose(new TextEncoder().encode(`p${this.proposals}`)) === null) this.proposals++;
    } else if (roll < 0.55) {
      this.handleReady(n);
    } else if (roll < 0.975) {
      this.deliverOne(true);
    } else if (roll < 0.98) {
      const healed = this.rng.float() < 0.5;
      this.partitioned = healed ? new Set() : new Set(this.nodes.filter(() => this.rng.float() < 0.3).map((x) => x.id));
    } else if (roll < 0.983) {
      if (n.up) this.crashOrRestart(n);
    } else if (roll < 0.99 || !this.membershipChanges) {
      this.compact(n);
    } else {
      this.proposeConfChange(n);
    }
  }

  /** Proposes a random valid membership change on `n` (only effective if it is the leader). */
  proposeConfChange(n: SimNode): void {
    if (!n.up) return;
    const cs = n.node.status().config;
    if (cs.votersOutgoing.length > 0) {
      // Explicit joint configurations must be left by an empty change.
      n.node.proposeConfChange({ transition: ConfChangeTransition.Auto, changes: [], context: new Uint8Array(0) });
      return;
    }
    const members = new Set([...cs.voters, ...cs.learners]);
    const outsiders = this.nodes.map((x) => x.id).filter((id) => !members.has(id));
    const changes: ConfChangeSingle[] = [];
    const pick = <T>(list: T[]): T | undefined => list[this.rng.intBelow(Math.max(list.length, 1))];
    const outsider = pick(outsiders);
    const learner = pick(cs.learners);
    const voter = pick(cs.voters);
    const roll = this.rng.float();
    if (roll < 0.3 && outsider !== undefined) changes.push({ type: ConfChangeType.AddLearnerNode, nodeId: outsider });
    else if (roll < 0.5 && learner !== undefined) changes.push({ type: ConfChangeType.AddNode, nodeId: learner });
    else if (roll < 0.7 && voter !== undefined && cs.voters.length > 1) {
      changes.push({ type: ConfChangeType.RemoveNode, nodeId: voter });
    } else if (outsider !== undefined && voter !== undefined) {
      // Replace a voter (joint consensus): add one, remove another.
      changes.push({ type: ConfChangeType.AddNode, nodeId: outsider });
      changes.push({ type: ConfChangeType.RemoveNode, nodeId: voter });
    }
    if (changes.length === 0) return;
    const transition = changes.length > 1 && this.rng.float() < 0.5
      ? ConfChangeTransition.JointExplicit : ConfChangeTransition.Auto;
    n.node.proposeConfChange({ transition, changes, context: new Uint8Array(0) });
  }

  crashOrRestart(n: SimNode): void {
    if (n.up) {
      // Crash: whatever was not handed to storage yet is lost.
      n.up = false;
      return;
    }
    // MemoryStorage reports the snapshot's ConfState, so replay everything after the snapshot.
    n.applied = n.storage.snapshot().metadata.index;
    n.confHistory = n.confHistory.filter((h) => h.index <= n.applied);
    n.node = this.newNode(n.id, n.storage, n.applied);
    n.up = true;
  }

  compact(n: SimNode): void {
    const index = n.applied;
    if (index <= n.storage.firstIndex()) return;
    n.storage.createSnapshot(index, confStateAt(n, index), new Uint8Array(0));
    n.storage.compact(index);
  }

  /** Heals everything, restarts crashed nodes, and runs until a leader committed a fresh proposal. */
  settle(): void {
    this.partitioned.clear();
    for (const n of this.nodes) if (!n.up) this.crashOrRestart(n);
    let marker = -1;
    for (let round = 0; round < 4000; round++) {
      for (const n of this.nodes) this.handleReady(n);
      while (this.pool.length > 0) this.deliverOne(false);
      for (const n of this.nodes) this.handleReady(n);
      if (round % 3 === 0) for (const n of this.nodes) n.node.tick();
      const leader = this.nodes.find((n) => n.node.status().softState.raftState === StateType.Leader);
      // (Re-)propose the marker: a proposal can be lost when its leader is deposed.
      const proposeNow = marker < 0 || round - marker > 200;
      if (leader !== undefined && proposeNow && leader.node.propose(new TextEncoder().encode('final')) === null) {
        marker = round;
      }
      if (round % 50 === 49) for (const n of this.nodes) this.compact(n);
      if (round % 20 === 19 && leader !== undefined && this.membershipChanges) this.leaveJoint(leader);
      if (marker >= 0 && leader !== undefined && this.members(leader).every((n) => this.appliedFinal(n))) return;
    }
    for (const n of this.nodes) {
      const st = n.node.status();
      console.log(`node ${n.id} state=${st.softState.raftState} lead=${st.softState.lead} term=${st.hardState.term} ` +
        `commit=${st.hardState.commit} applied=${n.applied} last=${n.storage.lastIndex()} first=${n.storage.firstIndex()} ` +
        `progress=${JSON.stringify([...st.progress].map(([id, p]) => [String(id), p]))} ` +
        `voters=${st.config.voters.join(",")}&&${st.config.votersOutgoing.join(",")} learners=${st.config.learners.join(",")} up=${n.up}`);
    }
    assert.fail('cluster did not converge after healing');
  }

  report(seed: number): void {
    const changes = this.nodes.reduce((sum, n) => sum + n.confHistory.length - 1, 0);
    const leader = this.nodes.find((n) => n.node.status().softState.raftState === StateType.Leader)!;
    const st = leader.node.status();
    console.log(`seed ${seed}: terms ${this.leaders.size} applied ${this.appliedAt.size} confHistory ${changes} ` +
      `config voters=[${st.config.voters.join(',')}] learners=[${st.config.learners.join(',')}]`);
  }

  leaveJoint(leader: SimNode): void {
    if (leader.node.status().config.votersOutgoing.length === 0) return;
    leader.node.proposeConfChange({ transition: ConfChangeTransition.Auto, changes: [], context: new Uint8Array(0) });
  }

  members(leader: SimNode): SimNode[] {
    const cs = leader.node.status().config;
    const ids = new Set([...cs.voters, ...cs.learners, ...cs.votersOutgoing]);
    return this.nodes.filter((n) => ids.has(n.id));
  }

  appliedFinal(n: SimNode): boolean {
    for (const [index, key] of this.appliedAt) if (key.endsWith(':final') && n.applied >= index) return true;
    return false;
  }
}

function traceLogger(id: NodeId): RaftLogger {
  const print = (text: string): void => console.log(`[${id}] ${text}`);
  return { debug: () => undefined, info: print, warn: print };
}

function confStateAt(n: SimNode, index: number): ConfState {
  let result = n.confHistory[0]!.confState;
  for (const h of n.confHistory) if (h.index <= index) result = h.confState;
  return result;
}

function runFuzz(membershipChanges: boolean): void {
  const baseSeed = process.env.SEED === undefined ? Date.now() % 1_000_000 : Number(process.env.SEED);
  console.log('SEED=' + baseSeed);
  const runs = process.env.SEED === undefined ? RUNS : 1;
  for (let run = 0; run < runs; run++) {
    const seed = baseSeed + run;
    const rng = new SeededRandom(seed);
    const cluster = new Cluster(rng, 3 + rng.intBelow(3), membershipChanges);
    try {
      for (let step = 0; step < STEPS; step++) cluster.randomAction();
      cluster.settle();
      if (process.env.FUZZ_VERBOSE === '1') cluster.report(seed);
    } catch (error) {
      console.log(`failing SEED=${seed}`);
      throw error;
    }
  }
}

test('randomized clusters keep safety and recover', () => runFuzz(false));

test('randomized clusters with membership changes keep safety and recover', () => runFuzz(true));
