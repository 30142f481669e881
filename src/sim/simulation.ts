/**
 * The deterministic simulator: a whole cluster of RawNodes in one process, driven tick by tick from one
 * seed. A run has a safety phase (faults: network loss/duplication/reordering/partitions, crashes with
 * loss of unsynced writes, slow disks, clock skew, membership churn, leader transfers, client load) and
 * then a liveness phase (faults stop, the network heals, crashed nodes restart): a leader must emerge, a
 * probe write must commit and every member must catch up within `livenessTicksMax`. The checkers run
 * throughout (safety-checker.ts) and on the client history at the end (linearizability.ts).
 */
import { AssertionError } from '../base/assert.js';
import { SeededRandom } from '../base/random.js';
import { MessageType, StateType, type Message } from '../raft/types.js';
import { SimDisk, type DiskImage } from './disk.js';
import { FaultInjector } from './faults.js';
import { Figure8Script } from './figure8.js';
import { formatTraceEvent, TraceDigest } from './hash.js';
import { KvStateMachine } from './kv.js';
import { checkPartitioned } from './linearizability.js';
import { MembershipChurn } from './membership.js';
import { SimNetwork, type DropReason, type Envelope } from './network.js';
import type { SimOptions } from './options.js';
import { describeRegisterOp, registerModel } from './register-model.js';
import { checkLogMatching, SafetyChecker, SimFailure } from './safety-checker.js';
import { isMember, SimNode, type NodeEnv } from './sim-node.js';
import { Workload } from './workload.js';

export interface SimResult {
  seed: number;
  ok: boolean;
  failure: { checker: string; message: string; tick: number } | undefined;
  /** Simulated ticks run (safety + liveness). */
  ticks: number;
  /** Digest of the event trace: equal for two runs of the same seed. */
  digest: string;
  events: number;
  /** Linearizability partitions whose search ran out of budget (not failures, but weaker checking). */
  linearizabilityUnknown: number;
  stats: Record<string, number>;
}

/** Ticks between full log-matching sweeps over all live nodes. */
const LOG_MATCHING_EVERY_TICKS = 10;
/** Probability that a client sends to the node it believes is leader (otherwise a random node). */
const LEADER_AFFINITY = 0.7;
/** Leader-only message types: their sender is the leader of the message's term. */
const LEADER_MESSAGES = new Set<MessageType>([MessageType.App, MessageType.Heartbeat, MessageType.Snap]);

function bootstrapImage(voters: bigint[]): DiskImage {
  const data = KvStateMachine.fromImage(undefined, 1).toImage();
  const confState = { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  return {
    snapshot: { data, metadata: { index: 1, term: 1, confState } },
    hardState: { term: 1, vote: 0n, commit: 1 },
    entries: [],
  };
}

const EMPTY_IMAGE: DiskImage = { snapshot: undefined, hardState: { term: 0, vote: 0n, commit: 0 }, entries: [] };

export class Simulation {
  private readonly live: SimOptions;
  private readonly digest = new TraceDigest();
  private readonly checker = new SafetyChecker();
  private readonly network: SimNetwork;
  private readonly nodes = new Map<number, SimNode>();
  private readonly started = new Set<number>();
  private readonly workload: Workload;
  private readonly faults: FaultInjector;
  private readonly churn: MembershipChurn;
  private readonly figure8: Figure8Script | undefined;
  private readonly random: SeededRandom;
  private readonly deferred: (() => void)[] = [];
  private now = 0;

  /** `trace`, if given, receives every event of the run as a line of text (for replaying a failure). */
  constructor(readonly options: SimOptions, trace?: (line: string) => void) {
    this.live = { ...options };
    if (trace !== undefined) this.digest.tracer = (values) => trace(formatTraceEvent(this.now, values));
    const seed = BigInt(options.seed);
    this.random = new SeededRandom(seed * 7919n + 1n);
    this.network = new SimNetwork(new SeededRandom(seed * 7919n + 2n), {
      dropRate: options.dropRate, duplicateRate: options.duplicateRate, reorderRate: options.reorderRate,
      delayTicksMax: options.delayTicksMax, reorderDelayTicksMax: options.reorderDelayTicksMax,
    });
    this.workload = new Workload(this.live, new SeededRandom(seed * 7919n + 3n), this.digest, () => this.now);
    this.faults = new FaultInjector(this.live, new SeededRandom(seed * 7919n + 4n), this.network, this.digest);
    this.churn = new MembershipChurn(new SeededRandom(seed * 7919n + 5n), this.digest);
    this.figure8 = options.figure8Script ? new Figure8Script(this.network, this.digest) : undefined;
    const env: NodeEnv = {
      options: this.live, checker: this.checker, digest: this.digest, random: new SeededRandom(seed * 7919n + 6n),
      clients: this.workload, now: () => this.now, send: (m) => this.send(m),
    };
    const voters: bigint[] = [];
    for (let i = 1; i <= options.clusterSize; i++) voters.push(BigInt(i));
    const total = options.clusterSize + options.spareNodeCount;
    for (let i = 1; i <= total; i++) {
      const image = i <= options.clusterSize ? bootstrapImage(voters) : EMPTY_IMAGE;
      const node = new SimNode(BigInt(i), new SimDisk(image), env, options.tickRates[i - 1] ?? 1);
      this.nodes.set(i, node);
      if (i <= options.clusterSize) this.startNode(node);
    }
  }

  private startNode(node: SimNode): void {
    this.started.add(node.idNumber);
    node.start();
  }

  /** Started nodes that were not removed (the ones faults and clients touch). */
  private participants(): SimNode[] {
    const out: SimNode[] = [];
    for (const node of this.nodes.values()) if (this.started.has(node.idNumber) && !node.removed) out.push(node);
    return out;
  }

  /** Participants plus removed nodes that have not shut down yet (they still tick and handle Readies). */
  private running(): SimNode[] {
    const out: SimNode[] = [];
    for (const node of this.nodes.values()) {
      if (this.started.has(node.idNumber) && (!node.removed || node.alive)) out.push(node);
    }
    return out;
  }

  private send(message: Message): void {
    const from = Number(message.from);
    if (LEADER_MESSAGES.has(message.type)) this.checker.observeLeader(message.term, from, `message type ${message.type}`);
    if (message.type === MessageType.VoteResp && !message.reject) {
      this.checker.observeVoteGranted(from, message.term, Number(message.to));
    }
    const queued = this.nodes.has(Number(message.to)) && this.network.send(message, this.now);
    if (!queued && message.type === MessageType.Snap) this.reportSnapshotLater(message, 'failure');
  }

  private reportSnapshotLater(message: Message, status: 'finish' | 'failure'): void {
    this.deferred.push(() => {
      const sender = this.nodes.get(Number(message.from));
      if (sender?.alive) sender.reportSnapshot(message.to, status);
    });
  }

  private onDrop(envelope: Envelope, _reason: DropReason): void {
    const message = envelope.message;
    if (message.type === MessageType.Snap) this.reportSnapshotLater(message, 'failure');
    this.deferred.push(() => {
      const sender = this.nodes.get(Number(message.from));
      if (sender?.alive) sender.reportUnreachable(message.to);
    });
  }

  private deliver(envelope: Envelope): void {
    const m = envelope.message;
    const receiver = this.nodes.get(Number(m.to));
    if (receiver === undefined || !receiver.alive) {
      if (m.type === MessageType.Snap) this.reportSnapshotLater(m, 'failure');
      return;
    }
    this.digest.add(9, Number(m.from), Number(m.to), m.type, m.term, m.index, m.entries.length, m.commit);
    receiver.step(m);
    if (m.type === MessageType.Snap) this.reportSnapshotLater(m, 'finish');
  }

  /** The live leader with the highest term that is a voter in its own configuration. */
  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const node of this.participants()) {
      if (!node.alive || node.raftState !== StateType.Leader || !node.confState.voters.includes(node.id)) continue;
      if (best === undefined || node.term > best.term) best = node;
    }
    return best;
  }

  private pickNode(): SimNode | undefined {
    const leader = this.leader();
    if (leader !== undefined && this.random.float() < LEADER_AFFINITY) return leader;
    const alive = this.participants().filter((n) => n.alive);
    return alive.length === 0 ? undefined : alive[this.random.intBelow(alive.length)];
  }

  private tick(faulty: boolean): void {
    this.now += 1;
    const participants = this.participants();
    const running = this.running();
    if (faulty) {
      if (this.figure8 !== undefined) this.figure8.step(this.now, this.leader());
      else this.faults.step(this.now, participants, this.leader());
      this.churnStep();
      this.workload.issue(() => this.pickNode());
    }
    for (const report of this.deferred.splice(0)) report();
    this.workload.expire(this.nodes);
    for (const envelope of this.network.takeDue(this.now, (e, r) => this.onDrop(e, r))) this.deliver(envelope);
    for (const node of running) if (node.alive) node.tick();
    for (const node of running) {
      node.processReadies();
      if (node.removed && node.alive && this.now - node.removedAtTick >= this.live.removedStopDelayTicks) node.crash();
    }
    if (this.now % LOG_MATCHING_EVERY_TICKS === 0) this.checkLogs();
  }

  private churnStep(): void {
    const leader = this.leader();
    if (leader === undefined) return;
    if (this.random.float() < this.live.confChangeRate) {
      const spares = [...this.nodes.values()].filter((n) => !this.started.has(n.idNumber));
      this.churn.proposeChange(leader, spares, (n) => this.startNode(n));
    }
    if (this.random.float() < this.live.transferRate) this.churn.transfer(leader);
  }

  private checkLogs(): void {
    const logs = new Map<number, { firstIndex: number; terms: number[] }>();
    for (const node of this.participants()) if (node.alive) logs.set(node.idNumber, node.logTerms());
    checkLogMatching(logs);
  }

  private healForLiveness(): void {
    this.faults.healAll(this.participants());
    this.network.faults = {
      dropRate: 0, duplicateRate: 0, reorderRate: 0, delayTicksMax: Math.min(2, this.live.delayTicksMax),
      reorderDelayTicksMax: 1,
    };
    this.live.slowDiskRate = 0;
    // Clock skew is a fault too: without PreVote, a node whose clock runs more than twice as fast as
    // the others can keep disrupting elections forever (each of its campaigns resets their timers).
    for (const node of this.nodes.values()) node.tickRate = 1;
    this.digest.add(14, this.now);
  }

  /** True once a probe committed and every member of the leader's configuration applied past it. */
  private converged(probeIndex: number): boolean {
    const leader = this.leader();
    if (leader === undefined) return false;
    for (const node of this.nodes.values()) {
      if (!isMember(leader.confState, node.id)) continue;
      if (!node.alive || node.applied < probeIndex) return false;
    }
    return true;
  }

  private runLiveness(): void {
    this.healForLiveness();
    const start = this.now;
    let probeIndex = -1;
    while (this.now - start < this.live.livenessTicksMax) {
      this.tick(false);
      const leader = this.leader();
      if (!this.workload.probeDone) {
        if (leader !== undefined) this.workload.sendProbe(leader);
        continue;
      }
      if (probeIndex < 0) probeIndex = Math.max(...this.participants().map((n) => n.applied));
      if (this.converged(probeIndex)) return;
    }
    const states = this.participants().map((n) => n.describe()).join('; ');
    throw new SimFailure('liveness', `no convergence within ${this.live.livenessTicksMax} ticks after healing ` +
      `(probe ${this.workload.probeDone ? 'committed' : 'not committed'}): ${states}`);
  }

  private checkHistory(): number {
    this.workload.expire(this.nodes, true);
    const { result, partition } = checkPartitioned(registerModel, this.workload.partitions());
    if (result.kind === 'unknown') return 1;
    if (result.kind === 'illegal') {
      const ops = this.workload.partitions().get(partition!) ?? [];
      const shown = ops.slice(0, 40).map(describeRegisterOp).join('; ');
      throw new SimFailure('linearizability', `key ${partition} (${ops.length} ops, longest linearizable ` +
        `prefix ${result.linearizedMax}): ${shown}`);
    }
    return 0;
  }

  /** Runs the whole simulation. Never throws: failures are returned in the result. */
  run(): SimResult {
    let failure: SimResult['failure'];
    let unknown = 0;
    try {
      while (this.now < this.live.safetyTicks) this.tick(true);
      this.runLiveness();
      this.checkLogs();
      this.checker.checkLeaderCompleteness();
      unknown = this.checkHistory();
    } catch (error) {
      failure = describeFailure(error, this.now);
    }
    return {
      seed: this.options.seed, ok: failure === undefined, failure, ticks: this.now, digest: this.digest.hex(),
      events: this.digest.events, linearizabilityUnknown: unknown,
      stats: {
        ...this.network.stats, ...this.workload.stats, ...this.faults.stats, ...this.churn.stats,
        ...(this.figure8?.stats ?? {}),
      },
    };
  }
}

function describeFailure(error: unknown, tick: number): { checker: string; message: string; tick: number } {
  if (error instanceof SimFailure) return { checker: error.checker, message: error.message, tick };
  if (error instanceof AssertionError) {
    return { checker: 'assertion', message: `${error.message}\n${error.stack ?? ''}`, tick };
  }
  const text = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
  return { checker: 'exception', message: text, tick };
}
