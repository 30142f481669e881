/**
 * EtcdServer: one member. It owns the Raft node (driven by the one Ready loop in raft-driver.ts), the
 * MVCC store and the apply chain, and offers the request API the gRPC layer calls. Writes are proposed
 * through Raft and answered when applied (after the WAL fsync); linearizable reads wait on ReadIndex;
 * serializable reads are served locally.
 */
import { assert } from '../base/assert.js';
import type { Clock } from '../base/clock.js';
import { etcdError, isEtcdError } from '../base/errors.js';
import { SeededRandom } from '../base/random.js';
import {
  InternalRaftRequest, ResponseHeader, type CompactionRequest, type CompactionResponse, type DeleteRangeRequest,
  type DeleteRangeResponse, type PutRequest, type PutResponse, type RangeRequest, type RangeResponse,
  type TxnRequest, type TxnResponse,
} from '../proto/gen/etcdserverpb.js';
import { RawNode } from '../raft/raw-node.js';
import { StateType, type SoftState } from '../raft/types.js';
import { MvccStore } from '../mvcc/store.js';
import type { Logger } from '../platform/logger.js';
import { secureRandomBytes } from '../platform/hash.js';
import { KvApplier } from './apply/kv-applier.js';
import { isTxnReadOnly } from './apply/compare.js';
import { EntryApplier, type ApplyResult } from './apply/entry-applier.js';
import { bootstrap, type Bootstrapped, type MemberInfo } from './bootstrap.js';
import { IdGenerator } from './id-generator.js';
import { LinearizableReads } from './linearizable-reads.js';
import { RaftDriver } from './raft-driver.js';
import { SnapshotTrigger } from './snapshot-trigger.js';
import type { ServerOptions } from './server-options.js';
import { checkDeleteRequest, checkPutRequest, checkRangeRequest, checkTxnRequest } from './validate.js';
import { WaitRegistry } from './wait.js';

/** Proposals waiting for their apply result at most (etcd's back-pressure on pending proposals). */
const PENDING_PROPOSALS_MAX = 100_000;

export class EtcdServer {
  readonly memberId: bigint;
  readonly clusterId: bigint;
  private members: MemberInfo[];
  private readonly driver: RaftDriver;
  private readonly reads: LinearizableReads;
  private readonly wait = new WaitRegistry<ApplyResult>(PENDING_PROPOSALS_MAX);
  private readonly ids: IdGenerator;
  private readonly kv: KvApplier;
  private readonly entries: EntryApplier;
  private readonly snapshots: SnapshotTrigger;
  private softState: SoftState = { lead: 0n, raftState: StateType.Follower };
  private stopping = false;
  private readonly stopHandlers: Array<(error?: unknown) => void> = [];
  /** Requests time out after etcd's ReqTimeout: 5 s + 2 x election timeout. */
  readonly requestTimeoutMs: number;

  private constructor(
    private readonly options: ServerOptions,
    private readonly boot: Bootstrapped,
    readonly store: MvccStore,
    private readonly logger: Logger,
    clock: Clock,
  ) {
    this.memberId = boot.memberId;
    this.clusterId = boot.clusterId;
    this.members = boot.members;
    this.requestTimeoutMs = 5000 + 2 * options.electionTimeoutMs;
    this.ids = new IdGenerator(boot.memberId, clock.wallMs());
    this.kv = new KvApplier(store, { exists: () => false });
    const electionTick = Math.max(2, Math.round(options.electionTimeoutMs / options.heartbeatIntervalMs));
    const applied = Math.max(store.consistentIndex(), boot.snapshotIndex);
    assert(applied <= Math.max(boot.hardState.commit, boot.snapshotIndex),
      `backend consistent index ${applied} is ahead of the WAL commit ${boot.hardState.commit}`);
    const node = new RawNode({
      id: boot.memberId, electionTick, heartbeatTick: 1, storage: boot.storage,
      random: new SeededRandom(Buffer.from(secureRandomBytes(8)).readBigUInt64BE()),
      applied, maxSizePerMsg: 1024 * 1024, maxInflightMsgs: 512, maxUncommittedEntriesSize: 1 << 30,
      checkQuorum: true, preVote: options.preVote,
    });
    this.entries = new EntryApplier(node, store, this.kv, this.wait, applied, logger, options.warningApplyDurationMs);
    this.snapshots = new SnapshotTrigger(boot, store, options, logger, applied);
    this.driver = new RaftDriver(node, boot.storage, boot.wal, options.heartbeatIntervalMs, {
      applyEntries: (entries) => {
        this.entries.apply(entries);
        this.reads.onApplied(this.entries.appliedIndex);
        this.snapshots.noteApplied(this.entries.appliedIndex, this.entries.confState(boot.confState));
      },
      readStates: (states) => this.reads.onReadStates(states),
      softStateChanged: (state) => this.onSoftState(state),
      applySnapshot: () => Promise.reject(new Error('receiving raft snapshots needs the clustered server')),
      send: () => undefined,
      fatal: (error) => this.fail(error),
      afterReady: () => this.snapshots.maybeSnapshot(boot.storage),
    });
    this.reads = new LinearizableReads((ctx) => node.readIndex(ctx), () => this.driver.wake(), this.requestTimeoutMs);
    this.reads.onApplied(applied);
    this.driver.beforeReady = () => this.reads.startRound();
  }

  /** Opens storage (new member or restart), replays the WAL and starts the Ready loop. */
  static async start(options: ServerOptions, logger: Logger, clock: Clock): Promise<EtcdServer> {
    const boot = await bootstrap(options);
    if (boot.repairedTornTail) logger.warn({ 'wal-dir': boot.walDir }, 'repaired torn WAL tail after a crash');
    const store = await MvccStore.open(boot.backend);
    const server = new EtcdServer(options, boot, store, logger, clock);
    logger.info({ 'local-member-id': server.memberIdHex(), 'cluster-id': server.clusterId.toString(16),
      'consistent-index': store.consistentIndex(), 'current-revision': store.currentRevision(), new: boot.isNew },
    boot.isNew ? 'starting a new member' : 'restarting member');
    server.driver.start();
    if (boot.isNew || boot.confState.voters.length === 1) server.driver.node.campaign();
    server.driver.wake();
    return server;
  }

  memberIdHex(): string {
    return this.memberId.toString(16);
  }

  /** Registers a callback for when the server stops (cleanly or on a fatal error). */
  onStop(handler: (error?: unknown) => void): void {
    this.stopHandlers.push(handler);
  }

  isLeader(): boolean {
    return this.softState.raftState === StateType.Leader;
  }

  leaderId(): bigint {
    return this.softState.lead;
  }

  raftTerm(): number {
    return this.driver.term;
  }

  appliedIndex(): number {
    return this.entries.appliedIndex;
  }

  raftIndex(): number {
    return this.boot.storage.lastIndex();
  }

  memberList(): MemberInfo[] {
    return this.members.map((m) => ({ ...m, clientUrls: m.id === this.memberId ? this.options.advertiseClientUrls : m.clientUrls }));
  }

  backendSizeBytes(): number {
    return this.boot.backend.sizeBytes();
  }

  backendSizeInUseBytes(): number {
    return this.boot.backend.sizeInUseBytes();
  }

  /** Rewrites this member's backend compactly (blocks only this member's backend). */
  async defragment(): Promise<void> {
    const started = performance.now();
    await this.boot.backend.defrag();
    this.logger.info({ took: `${(performance.now() - started).toFixed(1)}ms`, 'db-size': this.backendSizeBytes() },
      'finished defragmenting the backend');
  }

  /** A response header as etcd fills it: revision defaults to the current store revision. */
  header(revision = 0): ResponseHeader {
    return ResponseHeader.create({
      clusterId: this.clusterId, memberId: this.memberId, raftTerm: this.driver.term,
      revision: revision !== 0 ? revision : this.store.currentRevision(),
    });
  }

  async range(request: RangeRequest): Promise<RangeResponse> {
    checkRangeRequest(request);
    if (!request.serializable) await this.linearizableRead();
    const response = this.kv.range(request);
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  async put(request: PutRequest): Promise<PutResponse> {
    checkPutRequest(request);
    const result = await this.propose(InternalRaftRequest.create({ put: request }));
    const response = result.response as PutResponse;
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  async deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    checkDeleteRequest(request);
    const result = await this.propose(InternalRaftRequest.create({ deleteRange: request }));
    const response = result.response as DeleteRangeResponse;
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  async txn(request: TxnRequest): Promise<TxnResponse> {
    checkTxnRequest(request, this.options.maxTxnOps);
    if (isTxnReadOnly(request)) {
      const serializable = request.success.concat(request.failure).every((op) => op.requestRange?.serializable ?? true);
      if (!serializable) await this.linearizableRead();
      const response = this.kv.txn(request).response;
      response.header = this.header(response.header?.revision ?? 0);
      return response;
    }
    const result = await this.propose(InternalRaftRequest.create({ txn: request }));
    const response = result.response as TxnResponse;
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  async compact(request: CompactionRequest): Promise<CompactionResponse> {
    const result = await this.propose(InternalRaftRequest.create({ compaction: request }));
    if (request.physical && result.physicalDone !== undefined) await result.physicalDone;
    const response = result.response as CompactionResponse;
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  /** Waits until a read issued now observes every write acknowledged before it. */
  linearizableRead(): Promise<void> {
    if (this.stopping) return Promise.reject(etcdError('ERR_STOPPED'));
    return this.reads.wait();
  }

  private async propose(request: InternalRaftRequest): Promise<ApplyResult> {
    if (this.stopping) throw etcdError('ERR_STOPPED');
    const id = this.ids.nextId();
    request.ID = id;
    const data = InternalRaftRequest.encode(request);
    if (data.length > this.options.maxRequestBytes) throw etcdError('ERR_REQUEST_TOO_LARGE');
    const pending = this.wait.register(id);
    const dropped = this.driver.node.propose(data);
    if (dropped !== null) {
      this.wait.fail(id, etcdError(this.softState.lead === 0n ? 'ERR_NO_LEADER' : 'ERR_TIMEOUT'));
    } else {
      this.driver.wake();
    }
    const timer = setTimeout(() => this.wait.fail(id, etcdError('ERR_TIMEOUT')), this.requestTimeoutMs);
    try {
      const result = await pending;
      if (result.error !== undefined) throw result.error;
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  private onSoftState(state: SoftState): void {
    const previous = this.softState;
    this.softState = state;
    if (state.lead !== previous.lead) {
      if (state.lead === 0n) this.logger.warn({ 'local-member-id': this.memberIdHex() }, 'raft lost leader');
      else this.logger.info({ 'local-member-id': this.memberIdHex(), leader: state.lead.toString(16), term: this.driver.term },
        previous.lead === 0n ? 'raft elected leader' : 'raft leader changed');
    }
  }

  private fail(error: unknown): void {
    this.logger.fatal({ err: error }, 'ready loop failed; stopping the server');
    void this.stop(error);
  }

  /** Stops the Ready loop, fails pending requests, flushes and closes storage. Idempotent. */
  async stop(error?: unknown): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.driver.stop();
    this.wait.failAll(etcdError('ERR_STOPPED'));
    this.reads.failAll(etcdError('ERR_STOPPED'));
    await this.store.close().catch((e: unknown) => this.logger.error({ err: e }, 'closing the store failed'));
    await this.boot.backend.close().catch(() => undefined);
    await this.boot.wal.close().catch((e: unknown) => this.logger.error({ err: e }, 'closing the WAL failed'));
    for (const handler of this.stopHandlers) handler(error);
  }
}

export { isEtcdError };
