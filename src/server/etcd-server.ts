/**
 * EtcdServer: one member. It owns the Raft node (driven by the one Ready loop in raft-driver.ts), the
 * MVCC store, membership and the apply chain, and offers the request API the gRPC layer calls. Writes
 * are proposed through Raft and answered when applied (after the WAL fsync); linearizable reads wait on
 * ReadIndex; serializable reads are served locally.
 */
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { Clock } from '../base/clock.js';
import { etcdError, isEtcdError } from '../base/errors.js';
import { formatIdHex } from '../base/ids.js';
import { SeededRandom } from '../base/random.js';
import { Backend } from '../backend/backend.js';
import {
  AlarmRequest, AlarmRequest_AlarmAction, AlarmResponse, AlarmType, CompactionRequest, InternalRaftRequest,
  MemberAttributes, ClusterMemberAttrSetRequest, ResponseHeader,
  type CompactionResponse, type DeleteRangeRequest, type DeleteRangeResponse,
  type PutRequest, type PutResponse, type RangeRequest, type RangeResponse, type TxnRequest, type TxnResponse,
  type LeaseGrantRequest, type LeaseGrantResponse, type LeaseLeasesResponse, type LeaseRevokeResponse,
  type LeaseTimeToLiveRequest, type LeaseTimeToLiveResponse,
} from '../proto/gen/etcdserverpb.js';
import { RawNode } from '../raft/raw-node.js';
import {
  StateType, type ConfChangeV2, type Message, type Snapshot, type SnapshotMetadata, type SoftState,
} from '../raft/types.js';
import { MvccStore } from '../mvcc/store.js';
import { LeaseManager } from '../lease/lease-manager.js';
import type { Logger } from '../platform/logger.js';
import { secureRandomBytes } from '../platform/hash.js';
import { KvApplier } from './apply/kv-applier.js';
import { isTxnReadOnly } from './apply/compare.js';
import { EntryApplier, type ApplyResult, type EventsListener } from './apply/entry-applier.js';
import { bootstrap, memberPaths, type Bootstrapped, type MemberInfo } from './bootstrap.js';
import { AutoCompactor, parseRetention } from './auto-compactor.js';
import { AlarmStore, QUOTA_OVERHEAD_BYTES_PER_KEY, txnHasPut } from './alarms.js';
import { IdGenerator } from './id-generator.js';
import { LinearizableReads } from './linearizable-reads.js';
import { ClusterManager } from './membership/cluster-manager.js';
import { Membership } from './membership/membership.js';
import { encodeMemberJson } from './membership/member-json.js';
import { RaftDriver } from './raft-driver.js';
import { saveSnapMetadata } from './snap-store.js';
import { installIncomingDb, storeIncomingDb } from './snapshot-install.js';
import { SnapshotTrigger } from './snapshot-trigger.js';
import type { ServerOptions } from './server-options.js';
import type { LeaseForwardKind, Transport, TransportHandler } from './transport-api.js';
import { checkDeleteRequest, checkPutRequest, checkRangeRequest, checkTxnRequest } from './validate.js';
import { WaitRegistry } from './wait.js';

/** Proposals waiting for their apply result at most (etcd's back-pressure on pending proposals). */
const PENDING_PROPOSALS_MAX = 100_000;
const PUBLISH_RETRY_MS = 500;
/** A publish lost in a leader change is retried after this long (not the full request timeout). */
const PUBLISH_TIMEOUT_MS = 2000;

export type TransportFactory = (identity: { memberId: bigint; clusterId: bigint },
  handler: TransportHandler) => Transport;

export class EtcdServer implements TransportHandler {
  readonly memberId: bigint;
  readonly clusterId: bigint;
  store: MvccStore;
  private backend: Backend;
  private membership: Membership;
  private kv: KvApplier;
  /** Leases: replicated state, leader-only expiry and the Lease API (src/lease). */
  readonly leases: LeaseManager;
  readonly cluster: ClusterManager;
  private readonly transport: Transport;
  private readonly driver: RaftDriver;
  private readonly reads: LinearizableReads;
  private readonly wait = new WaitRegistry<ApplyResult>(PENDING_PROPOSALS_MAX);
  private readonly ids: IdGenerator;
  private readonly entries: EntryApplier;
  private readonly snapshots: SnapshotTrigger;
  private softState: SoftState = { lead: 0n, raftState: StateType.Follower };
  private stopping = false;
  private published = false;
  /** An apply-time NOSPACE proposal is in flight (raise it once, not once per applied write). */
  private noSpaceProposalPending = false;
  private markPublished: () => void = () => undefined;
  /** Settles once this member's attributes are committed (etcd's ReadyNotify): then it serves clients. */
  readonly published$: Promise<void> = new Promise((resolve) => { this.markPublished = resolve; });
  private publishTimer: NodeJS.Timeout | undefined;
  private outgoingSnapshots = 0;
  private readonly autoCompactor: AutoCompactor | undefined;
  readonly alarms: AlarmStore;
  private autoCompactTimer: NodeJS.Timeout | undefined;
  private readonly stopHandlers: Array<(error?: unknown) => void> = [];
  /** Requests time out after etcd's ReqTimeout: 5 s + 2 x election timeout. */
  readonly requestTimeoutMs: number;

  private constructor(
    private readonly options: ServerOptions,
    private readonly boot: Bootstrapped,
    store: MvccStore,
    private readonly logger: Logger,
    private readonly clock: Clock,
    createTransport: TransportFactory,
  ) {
    this.memberId = boot.memberId;
    this.clusterId = boot.clusterId;
    this.store = store;
    this.backend = boot.backend;
    this.membership = boot.membership;
    this.requestTimeoutMs = 5000 + 2 * options.electionTimeoutMs;
    this.ids = new IdGenerator(boot.memberId, clock.wallMs());
    this.leases = new LeaseManager(boot.backend, store, {
      clock, electionTimeoutMs: options.electionTimeoutMs, propose: async (r) => (await this.propose(r)).response,
      nextId: () => this.ids.nextId(), isLeader: () => this.isLeader(), leaderId: () => this.softState.lead,
      forward: (leader, kind, request) => (this.transport.forwardLease === undefined
        ? Promise.reject(etcdError('ERR_NOT_LEADER')) : this.transport.forwardLease(leader, kind, request)),
      warn: (fields, message) => this.logger.warn(fields, message),
    });
    this.kv = new KvApplier(store, this.leases.lessor);
    // Raft resumes from the snapshot; entries up to the backend's consistent index are skipped by the
    // applier except conf changes, which raft must see again (see EntryApplier). The backend may be ahead of
    // the WAL commit after a snapshot install, so no ordering between the two is asserted here.
    const applied = boot.snapshotIndex;
    const node = new RawNode({
      id: boot.memberId, electionTick: Math.max(2, Math.round(options.electionTimeoutMs / options.heartbeatIntervalMs)),
      heartbeatTick: 1, storage: boot.storage,
      random: new SeededRandom(Buffer.from(secureRandomBytes(8)).readBigUInt64BE()),
      applied, maxSizePerMsg: 1024 * 1024, maxInflightMsgs: 512, maxUncommittedEntriesSize: 1 << 30,
      checkQuorum: true, preVote: options.preVote,
    });
    this.transport = createTransport({ memberId: this.memberId, clusterId: this.clusterId }, this);
    this.cluster = this.createClusterManager();
    this.entries = new EntryApplier(this.cluster, store, this.kv, this.wait, applied, logger,
      options.warningApplyDurationMs);
    this.entries.leaseApplier = this.leases.applier;
    this.snapshots = new SnapshotTrigger(boot, options, logger, applied);
    this.driver = new RaftDriver(node, boot.storage, boot.wal, options.heartbeatIntervalMs, {
      applyEntries: (entries) => {
        this.entries.apply(entries);
        this.reads.onApplied(this.entries.appliedIndex);
        this.snapshots.noteApplied(this.entries.appliedIndex, this.entries.confState(boot.confState));
      },
      readStates: (states) => this.reads.onReadStates(states),
      softStateChanged: (state) => this.onSoftState(state),
      applySnapshot: (snapshot) => this.installSnapshot(snapshot),
      send: (messages) => this.transport.send(messages),
      fatal: (error) => this.fail(error),
      afterReady: () => this.snapshots.maybeSnapshot(boot.storage, this.backend),
    });
    this.reads = new LinearizableReads((ctx) => node.readIndex(ctx), () => this.driver.wake(), this.requestTimeoutMs,
      Math.max(2 * options.heartbeatIntervalMs, 200));
    this.reads.onApplied(applied);
    this.driver.beforeReady = () => this.reads.startRound();
    this.autoCompactor = this.createAutoCompactor();
    this.alarms = new AlarmStore(this.backend);
    this.entries.applyGuard = (request) => this.guardApply(request);
  }

  /** Opens storage (new member or restart), replays the WAL and starts the Ready loop and peers. */
  static async start(options: ServerOptions, logger: Logger, clock: Clock,
    createTransport: TransportFactory): Promise<EtcdServer> {
    const boot = await bootstrap(options);
    if (boot.repairedTornTail) logger.warn({ 'wal-dir': boot.walDir }, 'repaired torn WAL tail after a crash');
    if (boot.membership.isRemoved(boot.memberId)) {
      await boot.backend.close();
      await boot.wal.close();
      throw new Error(`member ${formatIdHex(boot.memberId)} has already been removed from the cluster; ` +
        'remove its data dir and add it again as a new member');
    }
    const store = await MvccStore.open(boot.backend);
    const server = new EtcdServer(options, boot, store, logger, clock, createTransport);
    logger.info({ 'local-member-id': server.memberIdHex(), 'cluster-id': formatIdHex(server.clusterId),
      'consistent-index': store.consistentIndex(), 'current-revision': store.currentRevision(), new: boot.isNew,
      members: boot.membership.list().map((m) => formatIdHex(m.id)) },
    boot.isNew ? 'starting a new member' : 'restarting member');
    for (const member of boot.membership.list()) {
      if (member.id !== server.memberId) server.transport.addPeer(member.id, member.peerUrls);
    }
    server.driver.start();
    const voters = boot.membership.list().filter((m) => !m.isLearner);
    if (voters.length === 1 && voters[0]!.id === server.memberId) server.driver.node.campaign();
    server.driver.wake();
    server.schedulePublish(0);
    return server;
  }

  /** Subscribes to the events of every applied write, in revision order (for watch). */
  onEvents(listener: EventsListener): void {
    this.entries.onEvents(listener);
  }

  memberIdHex(): string {
    return formatIdHex(this.memberId);
  }

  /** Registers a callback for when the server stops (cleanly or on a fatal error). */
  onStop(handler: (error?: unknown) => void): void {
    this.stopHandlers.push(handler);
  }

  isLeader(): boolean {
    return this.softState.raftState === StateType.Leader;
  }

  isLearner(): boolean {
    return this.membership.get(this.memberId)?.isLearner ?? false;
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
    return this.membership.list().map((m) => (m.id === this.memberId && m.clientUrls.length === 0
      ? { ...m, name: this.options.name, clientUrls: this.options.advertiseClientUrls } : m));
  }

  backendSizeBytes(): number {
    return this.backend.sizeBytes();
  }

  quotaBytes(): number {
    return this.options.quotaBackendBytes;
  }

  backendSizeInUseBytes(): number {
    return this.backend.sizeInUseBytes();
  }

  /** Rewrites this member's backend compactly (blocks only this member's backend). */
  async defragment(): Promise<void> {
    const started = performance.now();
    await this.backend.defrag();
    this.logger.info({ took: `${(performance.now() - started).toFixed(1)}ms`, 'db-size': this.backendSizeBytes() },
      'finished defragmenting the backend');
  }

  /** The header etcd's Cluster service sends: ids and term, no revision. */
  clusterHeader(): ResponseHeader {
    return ResponseHeader.create({ clusterId: this.clusterId, memberId: this.memberId, raftTerm: this.driver.term });
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
    this.alarms.checkData();
    if (!request.serializable) await this.linearizableRead();
    const response = this.kv.range(request);
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  async put(request: PutRequest): Promise<PutResponse> {
    checkPutRequest(request);
    await this.checkQuota(request.key.length + request.value.length + QUOTA_OVERHEAD_BYTES_PER_KEY);
    const result = await this.propose(InternalRaftRequest.create({ put: request }));
    const response = result.response as PutResponse;
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  async deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    checkDeleteRequest(request);
    this.alarms.checkData();
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
    if (txnHasPut(request)) await this.checkQuota(QUOTA_OVERHEAD_BYTES_PER_KEY);
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

  // ---- Lease API (logic in src/lease/lease-manager.ts) ------------------------------------------

  async leaseGrant(request: LeaseGrantRequest): Promise<LeaseGrantResponse> {
    const response = await this.leases.grant(request);
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  async leaseRevoke(id: bigint): Promise<LeaseRevokeResponse> {
    const response = await this.leases.revoke(id);
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  /** Renews a lease (on the leader; forwarded from followers). Returns its TTL; ERR_LEASE_NOT_FOUND if gone. */
  leaseKeepAlive(id: bigint): Promise<number> {
    if (this.stopping) return Promise.reject(etcdError('ERR_STOPPED'));
    return this.leases.keepAlive(id);
  }

  async leaseTimeToLive(request: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse> {
    const response = await this.leases.timeToLive(request);
    response.header = this.header();
    return response;
  }

  leaseLeases(): LeaseLeasesResponse {
    const response = this.leases.leases();
    response.header = this.header();
    return response;
  }

  serveForwardedLease(kind: LeaseForwardKind, request: Uint8Array): Promise<Uint8Array> {
    return this.leases.serveForwarded(kind, request);
  }

  /** Waits until a read issued now observes every write acknowledged before it. */
  linearizableRead(): Promise<void> {
    if (this.stopping) return Promise.reject(etcdError('ERR_STOPPED'));
    return this.reads.wait();
  }

  /** Transfers leadership to `target` and waits until it leads (MoveLeader). */
  async moveLeader(target: bigint): Promise<void> {
    if (!this.isLeader()) throw etcdError('ERR_NOT_LEADER');
    const member = this.membership.get(target);
    if (member === undefined || member.isLearner) throw etcdError('ERR_BAD_LEADER_TRANSFEREE');
    this.driver.node.transferLeader(target);
    this.driver.wake();
    const deadline = performance.now() + this.requestTimeoutMs;
    while (this.softState.lead !== target) {
      if (performance.now() > deadline) throw etcdError('ERR_TIMEOUT');
      await new Promise((resolve) => setTimeout(resolve, this.options.heartbeatIntervalMs));
    }
  }

  // ---- TransportHandler -------------------------------------------------------------------------

  receive(messages: Message[]): void {
    if (this.stopping) return;
    for (const message of messages) {
      if (this.membership.isRemoved(message.from)) continue;
      this.driver.node.step(message);
    }
    this.driver.wake();
  }

  reportUnreachable(id: bigint): void {
    this.driver.node.reportUnreachable(id);
  }

  reportSnapshot(id: bigint, status: 'finish' | 'failure'): void {
    this.driver.node.reportSnapshot(id, status);
    this.driver.wake();
  }

  async snapshotDb(): Promise<{ path: string; metadata: SnapshotMetadata; release: () => Promise<void> }> {
    // Captured before the copy: the image's consistent index is at least this index (the copy commits
    // everything applied so far), and entries after it are replayed idempotently by the receiver.
    const index = this.entries.appliedIndex;
    const metadata: SnapshotMetadata = { index, term: this.boot.storage.term(index),
      confState: this.entries.confState(this.boot.confState) };
    const path = join(this.boot.snapDir, `outgoing-${process.pid}-${++this.outgoingSnapshots}.db`);
    await this.backend.copyTo(path);
    return { path, metadata, release: () => rm(path, { force: true }) };
  }

  receiveSnapshotDb(message: Message, body: AsyncIterable<Buffer>): Promise<void> {
    return storeIncomingDb(this.boot.snapDir, message, body, this.options.unsafeNoFsync);
  }

  isRemoved(id: bigint): boolean {
    return this.membership.isRemoved(id);
  }

  /** Stops serving because this member was removed (seen in the log or told by a peer). */
  removedByPeer(): void {
    if (this.stopping) return;
    this.logger.warn({ 'local-member-id': this.memberIdHex() },
      'the member has been permanently removed from the cluster');
    setImmediate(() => void this.stop());
  }

  membersJson(): string {
    return `{"clusterId":"${formatIdHex(this.clusterId)}","members":[${this.membership.list().map(encodeMemberJson).join(',')}]}`;
  }

  /** Promotes a learner: on the leader directly, otherwise forwarded to the leader over the peer API. */
  async promoteMember(id: bigint): Promise<void> {
    if (this.isLeader()) {
      await this.cluster.memberPromote(id);
      return;
    }
    if (this.softState.lead === 0n) throw etcdError('ERR_NO_LEADER');
    await this.transport.forwardPromote(this.softState.lead, id);
  }

  // ---- internals --------------------------------------------------------------------------------

  private createClusterManager(): ClusterManager {
    return new ClusterManager({
      memberId: this.memberId, node: () => this.driver.node, membership: () => this.membership,
      transport: this.transport, logger: this.logger, strictReconfigCheck: this.options.strictReconfigCheck,
      nextRequestId: () => this.ids.nextId(),
      proposeConfChange: (change, requestId) => this.proposeConfChange(change, requestId),
      confChangeApplied: (requestId) => this.wait.trigger(requestId, {}),
      onRemovedSelf: () => this.removedByPeer(),
      unixSeconds: () => Math.floor(this.clock.wallMs() / 1000),
    });
  }

  /** etcd's capped and corrupt appliers, and the Alarm request itself, at apply time. */
  private guardApply(request: InternalRaftRequest): ApplyResult | undefined {
    if (request.alarm !== undefined) {
      const alarms = this.alarms.apply(request.alarm);
      this.logger.warn({ action: request.alarm.action, alarm: request.alarm.alarm,
        'member-id': formatIdHex(request.alarm.memberID) },
        request.alarm.action === AlarmRequest_AlarmAction.ACTIVATE ? 'alarm raised' : 'alarm disarmed');
      return { response: AlarmResponse.create({ alarms }) };
    }
    const isData = request.put !== undefined || request.deleteRange !== undefined || request.txn !== undefined ||
      request.compaction !== undefined || request.leaseGrant !== undefined || request.leaseRevoke !== undefined;
    if (isData) this.alarms.checkData();
    if (request.put !== undefined || request.leaseGrant !== undefined ||
        (request.txn !== undefined && txnHasPut(request.txn))) {
      this.alarms.checkSpace();
      this.raiseNoSpaceOnApply(request.put === undefined ? QUOTA_OVERHEAD_BYTES_PER_KEY
        : request.put.key.length + request.put.value.length + QUOTA_OVERHEAD_BYTES_PER_KEY);
    }
    return undefined;
  }

  /**
   * As etcd's quota applier: every member checks its own backend when applying a request that adds data
   * and raises NOSPACE for itself when over quota (unless a NOSPACE alarm is already active). The write
   * itself is applied on every member, so their states never diverge.
   */
  private raiseNoSpaceOnApply(costBytes: number): void {
    if (this.noSpaceProposalPending || this.backend.sizeBytes() + costBytes < this.options.quotaBackendBytes) return;
    if (this.alarms.list(AlarmType.NOSPACE).length > 0) return;
    this.noSpaceProposalPending = true;
    this.logger.warn({ 'quota-size-bytes': this.options.quotaBackendBytes, 'db-size-bytes': this.backend.sizeBytes() },
      'exceeded the backend quota while applying; raising the NOSPACE alarm');
    void this.alarm(AlarmRequest.create({ action: AlarmRequest_AlarmAction.ACTIVATE, memberID: this.memberId,
      alarm: AlarmType.NOSPACE })).catch(() => undefined).finally(() => { this.noSpaceProposalPending = false; });
  }

  /** Checks alarms and the backend quota before proposing a request that adds data. */
  private async checkQuota(costBytes: number): Promise<void> {
    this.alarms.checkData();
    this.alarms.checkSpace();
    if (this.backend.sizeBytes() + costBytes < this.options.quotaBackendBytes) return;
    this.logger.warn({ 'quota-size-bytes': this.options.quotaBackendBytes, 'db-size-bytes': this.backend.sizeBytes() },
      'exceeded the backend quota; raising the NOSPACE alarm');
    await this.alarm(AlarmRequest.create({ action: AlarmRequest_AlarmAction.ACTIVATE, memberID: this.memberId,
      alarm: AlarmType.NOSPACE })).catch(() => undefined);
    throw etcdError('ERR_NO_SPACE');
  }

  /** Alarm RPC: GET is answered locally; ACTIVATE/DEACTIVATE go through raft. */
  async alarm(request: AlarmRequest): Promise<AlarmResponse> {
    if (request.action === AlarmRequest_AlarmAction.GET) {
      return AlarmResponse.create({ header: this.header(), alarms: this.alarms.list(request.alarm) });
    }
    const response = (await this.propose(InternalRaftRequest.create({ alarm: request }))).response as AlarmResponse;
    response.header = this.header();
    return response;
  }

  private createAutoCompactor(): AutoCompactor | undefined {
    const { autoCompactionMode: mode, autoCompactionRetention: text } = this.options;
    if (text === '0' || text === '') return undefined;
    const compactor = new AutoCompactor(mode, parseRetention(mode, text), {
      currentRevision: () => this.store.currentRevision(),
      compactRevision: () => this.store.compactRevision(),
      compact: async (revision) => {
        await this.compact(CompactionRequest.create({ revision }));
        this.logger.info({ 'compact-revision': revision, mode, retention: text }, 'completed auto compaction');
      },
    }, this.clock, (error) => {
      if (!isEtcdError(error, 'ERR_COMPACTED')) this.logger.warn({ error: String(error) }, 'auto compaction failed');
    });
    this.autoCompactTimer = setInterval(() => compactor.tick(), compactor.tickIntervalMs());
    this.autoCompactTimer.unref();
    return compactor;
  }

  private async proposeConfChange(change: ConfChangeV2, requestId: bigint): Promise<void> {
    if (this.stopping) throw etcdError('ERR_STOPPED');
    const pending = this.wait.register(requestId);
    const dropped = this.driver.node.proposeConfChange(change);
    if (dropped !== null) this.wait.fail(requestId,
      etcdError(this.softState.lead === 0n ? 'ERR_NO_LEADER' : 'ERR_TIMEOUT'));
    this.driver.wake();
    await this.awaitResult(requestId, pending);
  }

  private async propose(request: InternalRaftRequest, timeoutMs = this.requestTimeoutMs): Promise<ApplyResult> {
    if (this.stopping) throw etcdError('ERR_STOPPED');
    const id = this.ids.nextId();
    request.ID = id;
    const data = InternalRaftRequest.encode(request);
    if (data.length > this.options.maxRequestBytes) throw etcdError('ERR_REQUEST_TOO_LARGE');
    const pending = this.wait.register(id);
    this.proposeUntilAccepted(id, data, performance.now() + timeoutMs);
    return this.awaitResult(id, pending, timeoutMs);
  }

  /**
   * Raft drops proposals while no leader is known; etcd's proposer then blocks until a leader appears or
   * the request times out. Retry every heartbeat until accepted or the deadline passes (awaitResult's
   * timer fails the waiter then).
   */
  private proposeUntilAccepted(id: bigint, data: Uint8Array, deadlineMs: number): void {
    if (this.stopping || !this.wait.has(id)) return;
    if (this.driver.node.propose(data) === null) {
      this.driver.wake();
      return;
    }
    if (performance.now() >= deadlineMs) return;
    setTimeout(() => this.proposeUntilAccepted(id, data, deadlineMs), this.options.heartbeatIntervalMs);
  }

  private async awaitResult(id: bigint, pending: Promise<ApplyResult>,
    timeoutMs = this.requestTimeoutMs): Promise<ApplyResult> {
    const timer = setTimeout(() => this.wait.fail(id, etcdError('ERR_TIMEOUT')), timeoutMs);
    try {
      const result = await pending;
      if (result.error !== undefined) throw result.error;
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Publishes this member's name and client URLs through raft once a leader exists (etcd's publish). */
  private schedulePublish(delayMs: number): void {
    if (this.published || this.stopping) return;
    this.publishTimer = setTimeout(() => {
      if (this.softState.lead === 0n) { this.schedulePublish(PUBLISH_RETRY_MS); return; }
      const request = InternalRaftRequest.create({ clusterMemberAttrSet: ClusterMemberAttrSetRequest.create({
        memberID: this.memberId,
        memberAttributes: MemberAttributes.create({ name: this.options.name,
          clientUrls: this.options.advertiseClientUrls }),
      }) });
      const current = this.membership.get(this.memberId);
      if (current !== undefined && current.name === this.options.name &&
          current.clientUrls.join(',') === this.options.advertiseClientUrls.join(',')) {
        this.published = true;
        this.markPublished();
        return;
      }
      this.propose(request, PUBLISH_TIMEOUT_MS).then(() => { this.published = true; this.markPublished(); },
        () => this.schedulePublish(PUBLISH_RETRY_MS));
    }, delayMs);
  }

  /** Installs a backend image received with a raft snapshot (raft hands it over in a Ready). */
  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    const index = snapshot.metadata.index;
    this.logger.info({ index, term: snapshot.metadata.term }, 'applying snapshot from leader');
    await this.store.close();
    await this.backend.close();
    const { dbPath } = memberPaths(this.options.dataDir, this.options.walDir);
    await installIncomingDb(this.boot.snapDir, index, dbPath);
    this.backend = await Backend.open(dbPath, { batchIntervalMs: this.options.backendBatchIntervalMs,
      batchLimit: this.options.backendBatchLimit });
    this.store = await MvccStore.open(this.backend);
    this.membership = new Membership(this.backend);
    this.leases.replaceState(this.backend, this.store);
    this.alarms.reset(this.backend);
    this.kv = new KvApplier(this.store, this.leases.lessor);
    this.entries.replaceStateMachine(this.store, this.kv, index, snapshot.metadata.confState);
    this.snapshots.resetTo(index, index, snapshot.metadata.confState);
    await saveSnapMetadata(this.boot.snapDir, { index, term: snapshot.metadata.term,
      confState: snapshot.metadata.confState },
      this.options.unsafeNoFsync);
    for (const member of this.membership.list()) {
      if (member.id !== this.memberId) this.transport.addPeer(member.id, member.peerUrls);
    }
    this.reads.onApplied(index);
    this.logger.info({ index, 'consistent-index': this.store.consistentIndex(),
      revision: this.store.currentRevision() },
      'applied snapshot from leader');
  }

  private onSoftState(state: SoftState): void {
    const previous = this.softState;
    this.softState = state;
    this.autoCompactor?.setActive(state.raftState === StateType.Leader);
    this.leases.setLeader(state.raftState === StateType.Leader);
    if (state.lead !== previous.lead) {
      if (state.lead === 0n) this.logger.warn({ 'local-member-id': this.memberIdHex() }, 'raft lost leader');
      else this.logger.info({ 'local-member-id': this.memberIdHex(), leader: formatIdHex(state.lead),
        term: this.driver.term },
        previous.lead === 0n ? 'raft elected leader' : 'raft leader changed');
    }
  }

  private fail(error: unknown): void {
    this.logger.fatal({ err: error }, 'ready loop failed; stopping the server');
    void this.stop(error);
  }

  /** Stops the Ready loop and peers, fails pending requests, flushes and closes storage. Idempotent. */
  async stop(error?: unknown): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.publishTimer !== undefined) clearTimeout(this.publishTimer);
    if (this.autoCompactTimer !== undefined) clearInterval(this.autoCompactTimer);
    this.leases.stop();
    await this.driver.stop();
    await this.transport.stop().catch(() => undefined);
    this.wait.failAll(etcdError('ERR_STOPPED'));
    this.reads.failAll(etcdError('ERR_STOPPED'));
    await this.store.close().catch((e: unknown) => this.logger.error({ err: e }, 'closing the store failed'));
    await this.backend.close().catch(() => undefined);
    await this.boot.wal.close().catch((e: unknown) => this.logger.error({ err: e }, 'closing the WAL failed'));
    for (const handler of this.stopHandlers) handler(error);
  }
}

