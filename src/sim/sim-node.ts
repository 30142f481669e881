/**
 * One simulated server: a RawNode over a MemoryStorage, a simulated disk and the KV state machine, with
 * the Ready loop written in the documented order (src/raft/types.ts `Ready`):
 *  1. snapshot and entries/hardState are written (visible to raft through MemoryStorage at once, durable
 *     only after the fsync, which a slow disk delays by some ticks);
 *  2. a leader sends its messages immediately; a follower's messages wait for the fsync;
 *  3. after the fsync, committed entries are applied, read states served, and advance() is called.
 * While an fsync is outstanding the node keeps ticking and stepping messages (like etcd's raft goroutine);
 * it only does not take the next Ready. A crash throws away everything not durable and the node restarts
 * from its durable image: snapshot + hardState + log, re-applying entries after the snapshot.
 */
import { assert } from '../base/assert.js';
import { SeededRandom, type Random } from '../base/random.js';
import { ReadOnlyOption, type ProposalError } from '../raft/api.js';
import { decodeConfChangeV2 } from '../raft/conf-change-codec.js';
import { MemoryStorage } from '../raft/memory-storage.js';
import { RawNode } from '../raft/raw-node.js';
import { EntryType, StateType } from '../raft/types.js';
import type { ConfChangeV2, ConfState, Entry, HardState, Message, Ready, Snapshot } from '../raft/types.js';
import type { ClientOp, ClientSink } from './client-ops.js';
import { readContext } from './client-ops.js';
import { ClientRequests } from './client-requests.js';
import type { DiskImage } from './disk.js';
import { SimDisk } from './disk.js';
import type { TraceDigest } from './hash.js';
import { decodeCommand, encodeCommand, KvStateMachine } from './kv.js';
import type { SimOptions } from './options.js';
import { SimFailure, type SafetyChecker } from './safety-checker.js';

/** What a node needs from the simulation around it. */
export interface NodeEnv {
  readonly options: SimOptions;
  readonly checker: SafetyChecker;
  readonly digest: TraceDigest;
  /** Simulation-level randomness (disk latency, torn writes). */
  readonly random: Random;
  readonly clients: ClientSink;
  now(): number;
  send(message: Message): void;
}

/** Readies drained per node per tick; a node that always has more is livelocked. */
export const READIES_PER_TICK_MAX = 16;

interface InFlightReady {
  ready: Ready;
  fsyncDoneTick: number;
  held: Message[];
}

/** True if `id` is in any part of `cs`. */
export function isMember(cs: ConfState, id: bigint): boolean {
  return cs.voters.includes(id) || cs.learners.includes(id) || cs.votersOutgoing.includes(id) ||
    cs.learnersNext.includes(id);
}

/**
 * A Ready needs an fsync when raft says so (new entries, term or vote) and also when it carries a
 * snapshot: step 1 of the Ready contract persists the snapshot, and mustSync does not cover it (as in
 * etcd-raft, where the server's snapshot save syncs on its own).
 */
function mustFsync(ready: Ready): boolean {
  return ready.mustSync || ready.snapshot !== undefined;
}

export class SimNode {
  readonly idNumber: number;
  alive = false;
  /** Set once the node applied its own removal; it is shut down for good `removedStopDelayTicks` later. */
  removed = false;
  /** Simulated tick at which the node applied its own removal (-1 while a member). */
  removedAtTick = -1;
  incarnation = 0;
  raftState: StateType = StateType.Follower;
  lead = 0n;
  term = 0;
  commit = 0;
  confState: ConfState = { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  tickRate: number;
  private tickCredit = 0;
  private raw: RawNode | undefined;
  private storage = new MemoryStorage();
  kv = new KvStateMachine();
  private inFlight: InFlightReady | undefined;
  private snapshotIndex = 0;
  private snapshotDue = false;
  /** Commit index when this node last became leader. */
  private electedCommit = 0;
  private readonly requests: ClientRequests;

  constructor(readonly id: bigint, readonly disk: SimDisk, private readonly env: NodeEnv, tickRate: number) {
    this.idNumber = Number(id);
    this.tickRate = tickRate;
    this.requests = new ClientRequests(env.clients);
  }

  /** Starts (or restarts) the node from its disk's durable image. */
  start(): void {
    assert(!this.alive, `node ${this.idNumber} already running`);
    const image = this.disk.durable();
    this.env.checker.observeDurable(this.idNumber, image.hardState);
    this.rebuild(image);
    this.incarnation += 1;
    const o = this.env.options;
    this.raw = new RawNode({
      id: this.id, electionTick: o.electionTick, heartbeatTick: o.heartbeatTick, storage: this.storage,
      random: new SeededRandom((BigInt(o.seed) << 20n) ^ (this.id << 8n) ^ BigInt(this.incarnation)),
      applied: this.kv.appliedIndex, maxSizePerMsg: o.maxSizePerMsgBytes, maxInflightMsgs: o.maxInflightMsgs,
      maxCommittedSizePerReady: o.maxCommittedSizePerReadyBytes,
      maxUncommittedEntriesSize: o.maxUncommittedEntriesSizeBytes,
      checkQuorum: o.checkQuorum, preVote: o.preVote, readOnlyOption: ReadOnlyOption.Safe,
      disableProposalForwarding: o.disableProposalForwarding, deferCommitBroadcast: o.deferCommitBroadcast,
      unsafeCommitPreviousTermByCounting: o.unsafeCommitPreviousTermByCounting,
    });
    this.alive = true;
    this.raftState = StateType.Follower;
    this.lead = 0n;
    this.term = image.hardState.term;
    this.commit = image.hardState.commit;
    this.tickCredit = 0;
    this.env.digest.add(1, this.idNumber, this.incarnation, this.term, this.commit);
  }

  private rebuild(image: DiskImage): void {
    this.storage = new MemoryStorage();
    const snapshot = image.snapshot;
    if (snapshot !== undefined) {
      this.storage.applySnapshot(snapshot);
      this.confState = snapshot.metadata.confState;
      this.kv = KvStateMachine.fromImage(snapshot.data, snapshot.metadata.index);
      this.snapshotIndex = snapshot.metadata.index;
      this.env.checker.observeChain(this.idNumber, snapshot.metadata.index, this.kv.chain);
    } else {
      this.confState = { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
      this.kv = new KvStateMachine();
      this.snapshotIndex = 0;
    }
    // A crash can leave the installed snapshot durable without the HardState written after it. The
    // snapshot proves its index committed, so restart at least there (as the server's bootstrap does).
    const snapshotIndex = snapshot?.metadata.index ?? 0;
    const snapshotTerm = snapshot?.metadata.term ?? 0;
    this.storage.setHardState({ ...image.hardState, term: Math.max(image.hardState.term, snapshotTerm),
      commit: Math.max(image.hardState.commit, snapshotIndex) });
    this.storage.append(image.entries.filter((e) => e.index > snapshotIndex));
  }

  /** Loses all volatile state (unsynced writes, outstanding Ready, in-memory requests). */
  crash(): void {
    assert(this.alive, `node ${this.idNumber} is not running`);
    this.disk.crash(this.env.random, this.env.options.tornTailRate);
    this.alive = false;
    this.raw = undefined;
    this.inFlight = undefined;
    this.requests.clear();
    this.env.digest.add(2, this.idNumber, this.incarnation);
  }

  private node(): RawNode {
    assert(this.raw !== undefined && this.alive, `node ${this.idNumber} is down`);
    return this.raw;
  }

  step(message: Message): void {
    this.node().step(message);
  }

  reportUnreachable(id: bigint): void {
    this.node().reportUnreachable(id);
  }

  reportSnapshot(id: bigint, status: 'finish' | 'failure'): void {
    this.node().reportSnapshot(id, status);
  }

  transferLeader(to: bigint): void {
    this.node().transferLeader(to);
  }

  proposeConfChange(change: ConfChangeV2): ProposalError | null {
    return this.node().proposeConfChange(change);
  }

  /** Advances this node's clock by one simulated tick at its own rate (clock skew). */
  tick(): void {
    const raw = this.node();
    this.tickCredit += this.tickRate;
    while (this.tickCredit >= 1) {
      raw.tick();
      this.tickCredit -= 1;
    }
    // deferCommitBroadcast: a held-back commit index goes out within one tick (the server's timer).
    raw.broadcastCommit();
  }

  /** Submits a client write; returns false if raft dropped the proposal (so it certainly never happens). */
  submitWrite(op: ClientOp): boolean {
    const input = op.input;
    assert(input.kind !== 'get', 'reads go through submitRead');
    const command = input.kind === 'put'
      ? { kind: 'put' as const, client: op.client, op: op.opId, key: op.key, value: input.value }
      : { kind: 'cas' as const, client: op.client, op: op.opId, key: op.key, expected: input.expected, value: input.value };
    if (this.node().propose(encodeCommand(command)) !== null) return false;
    this.requests.addWrite(op);
    return true;
  }

  /** Submits a linearizable read (ReadIndex). */
  submitRead(op: ClientOp): void {
    assert(op.input.kind === 'get', 'writes go through submitWrite');
    this.requests.addRead(op);
    this.node().readIndex(readContext(op));
  }

  /** Forgets an outstanding request the client gave up on. */
  forget(op: ClientOp): void {
    this.requests.forget(op);
  }

  /** Finishes an outstanding Ready whose fsync is done, then drains new Readies. */
  processReadies(): void {
    if (!this.alive) return;
    const now = this.env.now();
    if (this.inFlight !== undefined) {
      if (this.inFlight.fsyncDoneTick > now) return;
      this.finishReady();
    }
    for (let i = 0; i < READIES_PER_TICK_MAX && this.alive; i++) {
      if (this.inFlight !== undefined || !this.node().hasReady()) return;
      this.beginReady(now);
    }
  }

  private beginReady(now: number): void {
    const ready = this.node().ready();
    const { checker, digest } = this.env;
    const wasLeaderAtTerm = this.raftState === StateType.Leader ? this.term : -1;
    const commitBefore = this.commit;
    if (ready.hardState !== undefined) this.noteHardState(ready.hardState);
    if (ready.softState !== undefined) {
      this.raftState = ready.softState.raftState;
      this.lead = ready.softState.lead;
    }
    if (ready.snapshot !== undefined) this.installSnapshot(ready.snapshot);
    if (ready.entries.length > 0) {
      checker.observeAppended(this.idNumber, ready.entries);
      this.storage.append(ready.entries);
      this.disk.write({ kind: 'append', entries: ready.entries });
    }
    if (ready.hardState !== undefined) {
      this.storage.setHardState(ready.hardState);
      this.disk.write({ kind: 'hardState', hardState: ready.hardState });
    }
    const isLeader = this.raftState === StateType.Leader;
    const sendNow = isLeader || this.env.options.unsafeSendBeforeFsync;
    if (isLeader && ready.softState !== undefined) this.observeNewLeader();
    const ledBefore = isLeader && wasLeaderAtTerm === this.term;
    if (ledBefore && ready.hardState !== undefined && this.env.options.checkCommitRule) {
      this.checkCommitRule(ready.hardState, commitBefore);
    }
    digest.add(3, this.idNumber, ready.entries.length, ready.committedEntries.length, ready.messages.length,
      this.term, this.commit, ready.mustSync ? 1 : 0, this.raftState);
    if (sendNow) for (const m of ready.messages) this.env.send(m);
    const slow = mustFsync(ready) && this.env.random.float() < this.env.options.slowDiskRate;
    const delay = slow ? 1 + this.env.random.intBelow(this.env.options.fsyncTicksMax) : 0;
    this.inFlight = { ready, fsyncDoneTick: now + delay, held: sendNow ? [] : ready.messages };
    if (delay === 0) this.finishReady();
  }

  private noteHardState(hs: HardState): void {
    if (hs.term < this.term) throw new SimFailure('monotonic', `node ${this.idNumber} term ${this.term} -> ${hs.term}`);
    if (hs.commit < this.commit) {
      throw new SimFailure('monotonic', `node ${this.idNumber} commit ${this.commit} -> ${hs.commit}`);
    }
    this.term = hs.term;
    this.commit = hs.commit;
  }

  /**
   * Raft §5.4.2 seen from outside: a leader advances its commit index only to an entry of its own term
   * (older entries become committed indirectly). Checked only when this node was already leader of the
   * same term at the previous Ready, so the advance certainly happened while it led.
   */
  private checkCommitRule(hs: HardState, commitBefore: number): void {
    if (hs.commit <= commitBefore) return;
    const termAtCommit = this.storage.term(hs.commit);
    if (termAtCommit !== this.term) {
      throw new SimFailure('commit-rule', `leader ${this.idNumber} of term ${this.term} advanced commit ` +
        `${commitBefore} -> ${hs.commit} onto an entry of term ${termAtCommit}`);
    }
  }

  private observeNewLeader(): void {
    this.electedCommit = this.commit;
    this.env.checker.observeLeader(this.term, this.idNumber, 'ready soft state');
    const first = this.storage.firstIndex();
    const last = this.storage.lastIndex();
    const terms: number[] = [];
    for (let i = first; i <= last; i++) terms.push(this.storage.term(i));
    this.env.checker.observeLeaderLog({ node: this.idNumber, term: this.term, firstIndex: first, terms });
  }

  private installSnapshot(snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    if (index <= this.kv.appliedIndex) {
      throw new SimFailure('monotonic', `node ${this.idNumber} got snapshot ${index} <= applied ${this.kv.appliedIndex}`);
    }
    this.storage.applySnapshot(snapshot);
    this.disk.write({ kind: 'installSnapshot', snapshot });
    this.kv = KvStateMachine.fromImage(snapshot.data, index);
    this.confState = snapshot.metadata.confState;
    this.snapshotIndex = index;
    this.env.checker.observeChain(this.idNumber, index, this.kv.chain);
    this.env.digest.add(4, this.idNumber, index, snapshot.metadata.term);
  }

  private finishReady(): void {
    const flight = this.inFlight;
    assert(flight !== undefined, 'no Ready in flight');
    const { ready } = flight;
    if (mustFsync(ready)) {
      this.disk.fsync();
      this.env.checker.observeDurable(this.idNumber, this.disk.durableHardState());
    }
    for (const m of flight.held) this.env.send(m);
    for (const entry of ready.committedEntries) this.applyEntry(entry);
    for (const rs of ready.readStates) this.requests.readState(rs.index, rs.requestCtx);
    this.requests.serveReads(this.kv);
    this.inFlight = undefined;
    this.node().advance();
    this.maybeSnapshot();
  }

  private applyEntry(entry: Entry): void {
    if (entry.index !== this.kv.appliedIndex + 1) {
      throw new SimFailure('apply-order', `node ${this.idNumber} applied ${this.kv.appliedIndex}, next given ${entry.index}`);
    }
    this.kv.advance(entry.term, entry.index, entry.type, entry.data);
    this.env.checker.observeApplied(this.idNumber, entry, this.kv.chain);
    if (entry.type === EntryType.ConfChangeV2) {
      this.confState = this.node().applyConfChange(decodeConfChangeV2(entry.data));
      // Snapshot right after a membership change: a joining node can only restore a snapshot whose
      // ConfState includes it, so the latest snapshot must never predate the change that added it.
      this.snapshotDue = true;
      this.env.digest.add(5, this.idNumber, entry.index, this.confState.voters.length, this.confState.learners.length);
      if (!isMember(this.confState, this.id) && !this.removed) {
        this.removed = true;
        this.removedAtTick = this.env.now();
      }
      return;
    }
    assert(entry.type === EntryType.Normal, `unexpected entry type ${entry.type}`);
    if (entry.data.length === 0) return;
    const command = decodeCommand(entry.data);
    const result = this.kv.execute(command);
    if (result.duplicate) return;
    this.requests.writeApplied(command.client, command.op,
      command.kind === 'put' ? { kind: 'put' } : { kind: 'cas', ok: result.ok });
  }

  private maybeSnapshot(): void {
    const o = this.env.options;
    const applied = this.kv.appliedIndex;
    if (applied - this.snapshotIndex < o.snapshotEntries && !this.snapshotDue) return;
    this.snapshotDue = false;
    if (applied <= this.snapshotIndex) return;
    const snapshot = this.storage.createSnapshot(applied, this.confState, this.kv.toImage());
    const compactIndex = applied - o.compactKeepEntries;
    if (compactIndex >= this.storage.firstIndex()) this.storage.compact(compactIndex);
    this.disk.write({ kind: 'localSnapshot', snapshot, compactIndex });
    this.snapshotIndex = applied;
    this.env.digest.add(6, this.idNumber, applied);
  }

  /** Index of the last entry in this node's log. */
  get lastIndex(): number {
    return this.storage.lastIndex();
  }

  /** Index of the last applied entry. */
  get applied(): number {
    return this.kv.appliedIndex;
  }

  /**
   * True for a leader that has not yet committed an entry of its own term while its log holds entries of
   * older terms past the last commit it knew when elected: the window in which committing those old
   * entries by counting replicas (Raft paper, Figure 8) is unsafe.
   */
  inFigure8Window(): boolean {
    if (this.raftState !== StateType.Leader) return false;
    const commitTerm = this.commit >= this.storage.firstIndex() - 1 ? this.storage.term(this.commit) : 0;
    if (commitTerm === this.term) return false;
    const last = this.storage.lastIndex();
    for (let i = Math.max(this.electedCommit + 1, this.storage.firstIndex()); i <= last; i++) {
      if (this.storage.term(i) < this.term) return true;
    }
    return false;
  }

  /** Terms of the entries this node currently holds (for the log-matching check). */
  logTerms(): { firstIndex: number; terms: number[] } {
    const first = this.storage.firstIndex();
    const last = this.storage.lastIndex();
    const terms: number[] = [];
    for (let i = first; i <= last; i++) terms.push(this.storage.term(i));
    return { firstIndex: first, terms };
  }

  /** A tiny description for failure reports. */
  describe(): string {
    const state = ['follower', 'candidate', 'leader', 'pre-candidate'][this.raftState] ?? '?';
    return `n${this.idNumber}${this.alive ? '' : '(down)'}${this.removed ? '(removed)' : ''} ${state} ` +
      `term=${this.term} commit=${this.commit} applied=${this.applied} voters=[${this.confState.voters.join(',')}] ` +
      `learners=[${this.confState.learners.join(',')}]`;
  }
}
