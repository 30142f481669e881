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
  AlarmRequest, AlarmRequest_AlarmAction, AlarmResponse, CompactionRequest, InternalRaftRequest,
  MemberAttributes, ClusterMemberAttrSetRequest, ResponseHeader, RequestHeader, InternalAuthenticateRequest,
  type AuthenticateResponse,
  type CompactionResponse, type DeleteRangeRequest, type DeleteRangeResponse,
  type PutRequest, type PutResponse, type RangeRequest, type RangeResponse, type TxnRequest, type TxnResponse,
  type LeaseGrantRequest, type LeaseGrantResponse, type LeaseLeasesResponse, type LeaseRevokeResponse,
  type LeaseTimeToLiveRequest, type LeaseTimeToLiveResponse,
} from '../proto/gen/etcdserverpb.js';
import { RawNode } from '../raft/raw-node.js';
import {
  EntryType, MessageType, StateType, type Message, type Snapshot, type SnapshotMetadata,
  type SoftState,
} from '../raft/types.js';
import { MvccStore } from '../mvcc/store.js';
import { Event_EventType } from '../proto/gen/mvccpb.js';
import { LeaseManager } from '../lease/lease-manager.js';
import type { Logger } from '../platform/logger.js';
import { EtcdMetrics } from '../metrics/etcd-metrics.js';
import type { WatchGaugeValues } from '../metrics/hooks.js';
import { secureRandomBytes } from '../platform/hash.js';
import { KvApplier } from './apply/kv-applier.js';
import { isTxnReadOnly } from './apply/compare.js';
import { EntryApplier, type ApplyResult, type EventsListener } from './apply/entry-applier.js';
import { bootstrap, memberPaths, type Bootstrapped, type MemberInfo } from './bootstrap.js';
import { AutoCompactor, formatGoDuration, parseRetention } from './auto-compactor.js';
import { checkInitialHashes, PeriodicCorruptionChecker } from './corruption-checker.js';
import { corruptionCheckHost, serveHashKv } from './corruption-host.js';
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
import { Proposer } from './proposer.js';
import { QuotaGuard } from './quota-guard.js';
import { KeyCounter } from './key-counter.js';
import { sendBackendSnapshot, type SnapshotCall } from './snapshot-stream.js';
import { AuthStore } from '../auth/auth-store.js';
import { createTokenProvider, type AuthOptions } from '../auth/token-options.js';
import type { AuthInfo } from '../auth/types.js';
import { AuthApplier, checkLeaseWrites, checkTxnPermissions } from './apply/auth-applier.js';

/** Proposals waiting for their apply result at most (etcd's back-pressure on pending proposals). */
const PENDING_PROPOSALS_MAX = 100_000;
const PUBLISH_RETRY_MS = 500;
/** A publish lost in a leader change is retried after this long (not the full request timeout). */
const PUBLISH_TIMEOUT_MS = 2000;
/** A WAL fdatasync slower than this is logged as etcd's "slow fdatasync" warning. */
const SLOW_FSYNC_WARN_MS = 1000;
/** etcd counts a leader heartbeat sent more than this many heartbeat intervals after the previous one as failed. */
const HEARTBEAT_LATE_FACTOR = 2;
/** How long a member keeps running after applying its own removal (etcd: 1 s). */
const REMOVED_SELF_STOP_DELAY_MS = 1000;

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
  private readonly proposer: Proposer;
  /** Live keys for etcd_debugging_mvcc_keys_total and the dashboard (kept from applied events). */
  private keyCounter: KeyCounter | undefined;
  private readonly entries: EntryApplier;
  private readonly snapshots: SnapshotTrigger;
  private softState: SoftState = { lead: 0n, raftState: StateType.Follower };
  private stopping = false;
  private published = false;
  private markPublished: () => void = () => undefined;
  /** Settles once this member's attributes are committed (etcd's ReadyNotify): then it serves clients. */
  readonly published$: Promise<void> = new Promise((resolve) => { this.markPublished = resolve; });
  private publishTimer: NodeJS.Timeout | undefined;
  private outgoingSnapshots = 0;
  /** When the leader last sent a heartbeat to each peer (etcd's timeout detector for heartbeat_send_failures). */
  private readonly heartbeatSentAtMs = new Map<bigint, number>();
  /** Highest ReadIndex round context requested so far: asking again for one at or below it is a resend. */
  private lastReadIndexCtx = Buffer.alloc(0);
  /** Set by the Watch service: the values of etcd's watch gauges (etcd_debugging_mvcc_watcher_total, ...). */
  watchGauges: (() => WatchGaugeValues) | undefined;
  private readonly autoCompactor: AutoCompactor | undefined;
  /** --experimental-corrupt-check-time > 0: the leader compares peer hashes periodically. */
  private readonly corruptionChecker: PeriodicCorruptionChecker | undefined;
  readonly alarms: AlarmStore;
  private readonly quota: QuotaGuard;
  private autoCompactTimer: NodeJS.Timeout | undefined;
  private readonly stopHandlers: Array<(error?: unknown) => void> = [];
  /** Set when stop() finished (with the error it stopped for, if any). */
  private stopResult: { error: unknown } | undefined;
  /** Requests time out after etcd's ReqTimeout: 5 s + 2 x election timeout. */
  readonly requestTimeoutMs: number;
  /** This member's Prometheus registry (src/metrics); /metrics renders it. */
  readonly metrics: EtcdMetrics;

  /** Users, roles, permissions and tokens (src/auth); mutated only by applied raft entries. */
  readonly auth: AuthStore;

  private constructor(
    private readonly options: ServerOptions & AuthOptions,
    private readonly boot: Bootstrapped,
    store: MvccStore,
    private readonly logger: Logger,
    private readonly clock: Clock,
    createTransport: TransportFactory,
    metrics: EtcdMetrics,
  ) {
    this.metrics = metrics;
    this.memberId = boot.memberId;
    this.clusterId = boot.clusterId;
    this.store = store;
    this.backend = boot.backend;
    this.membership = boot.membership;
    this.requestTimeoutMs = 5000 + 2 * options.electionTimeoutMs;
    this.ids = new IdGenerator(boot.memberId, clock.wallMs());
    this.proposer = new Proposer({
      node: () => this.driver.node, wake: () => this.driver.wake(), wait: this.wait, ids: this.ids,
      isStopping: () => this.stopping, hasLeader: () => this.softState.lead !== 0n,
      onFailed: () => this.metrics.proposalFailed(), maxRequestBytes: options.maxRequestBytes,
      retryIntervalMs: options.heartbeatIntervalMs, requestTimeoutMs: this.requestTimeoutMs,
    });
    this.leases = new LeaseManager(boot.backend, store, {
      clock, electionTimeoutMs: options.electionTimeoutMs, checkpointIntervalMs: options.leaseCheckpointIntervalMs,
      propose: async (r) => (await this.proposer.propose(r)).response,
      nextId: () => this.ids.nextId(), isLeader: () => this.isLeader(), leaderId: () => this.softState.lead,
      forward: (leader, kind, request) => (this.transport.forwardLease === undefined
        ? Promise.reject(etcdError('ERR_NOT_LEADER')) : this.transport.forwardLease(leader, kind, request)),
      warn: (fields, message) => this.logger.warn(fields, message),
      leaseExpired: () => this.metrics.leaseExpired(),
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
      checkQuorum: true, preVote: options.preVote, deferCommitBroadcast: true,
    });
    this.transport = createTransport({ memberId: this.memberId, clusterId: this.clusterId }, this);
    this.cluster = this.createClusterManager();
    this.entries = new EntryApplier(this.cluster, store, this.kv, this.wait, applied, logger,
      options.warningApplyDurationMs);
    this.entries.leaseApplier = this.leases.applier;
    this.auth = new AuthStore(boot.backend, { logger, bcryptCost: options.bcryptCost ?? 10,
      tokens: createTokenProvider(options.authToken ?? 'simple', (options.authTokenTtlSeconds ?? 300) * 1000) });
    this.entries.authApplier = new AuthApplier(() => this.auth, () => this.leases.lessor);
    this.snapshots = new SnapshotTrigger(boot, options, logger, applied);
    this.driver = new RaftDriver(node, boot.storage, boot.wal, options.heartbeatIntervalMs, {
      applyEntries: (entries) => {
        const before = entries.some((e) => e.type !== EntryType.Normal) ? this.memberList() : undefined;
        this.entries.apply(entries);
        if (before !== undefined) this.logMembershipChanges(before);
        this.reads.onApplied(this.entries.appliedIndex);
        this.snapshots.noteApplied(this.entries.appliedIndex, this.entries.confState(boot.confState));
      },
      readStates: (states) => this.reads.onReadStates(states),
      softStateChanged: (state) => this.onSoftState(state),
      applySnapshot: (snapshot) => this.installSnapshot(snapshot),
      send: (messages) => { this.noteHeartbeats(messages); this.transport.send(messages); },
      fatal: (error) => this.fail(error),
      afterReady: () => this.timedMaybeSnapshot(),
    });
    this.reads = new LinearizableReads((ctx) => this.requestReadIndex(ctx), () => this.driver.wake(),
      this.requestTimeoutMs, Math.max(2 * options.heartbeatIntervalMs, 200));
    this.reads.onApplied(applied);
    this.driver.beforeReady = () => this.reads.startRound();
    this.autoCompactor = this.createAutoCompactor();
    const corruptCheckTimeMs = options.corruptCheckTimeMs ?? 0;
    if (corruptCheckTimeMs > 0) {
      this.corruptionChecker = new PeriodicCorruptionChecker(this.corruptionHost(), logger, corruptCheckTimeMs);
      this.corruptionChecker.start();
    }
    this.alarms = new AlarmStore(this.backend);
    this.quota = new QuotaGuard({ alarms: this.alarms, backendSizeBytes: () => this.backend.sizeBytes(),
      quotaBackendBytes: options.quotaBackendBytes, memberId: this.memberId, logger,
      proposeAlarm: (request) => this.alarm(request) });
    this.entries.applyGuard = (request) => this.quota.guardApply(request);
    this.bindMetrics();
  }

  /** Opens storage (new member or restart), replays the WAL and starts the Ready loop and peers. */
  static async start(options: ServerOptions & AuthOptions, logger: Logger, clock: Clock,
    createTransport: TransportFactory, metrics = new EtcdMetrics({ processMetrics: false })): Promise<EtcdServer> {
    const boot = await bootstrap({ ...options,
      onWalFsync: (ms) => {
        options.onWalFsync?.(ms);
        metrics.walFsyncMs(ms);
        if (ms > SLOW_FSYNC_WARN_MS) {
          logger.warn({ took: `${ms.toFixed(1)}ms`, 'expected-duration': `${SLOW_FSYNC_WARN_MS}ms` }, 'slow fdatasync');
        }
      },
      onBackendCommit: (ms) => { options.onBackendCommit?.(ms); metrics.backendCommitMs(ms); } });
    if (boot.repairedTornTail) logger.warn({ 'wal-dir': boot.walDir }, 'repaired torn WAL tail after a crash');
    if (boot.forcedNewCluster !== undefined) {
      const forced = boot.forcedNewCluster;
      logger.warn({ 'local-member-id': formatIdHex(forced.memberId), 'removed-members': forced.removedIds.map(formatIdHex),
        'commit-index': forced.commitIndex, 'discarded-uncommitted-entries': forced.discardedEntries },
      'forcing restart member as a new single-member cluster (--force-new-cluster)');
    }
    if (boot.membership.isRemoved(boot.memberId)) {
      await boot.backend.close();
      await boot.wal.close();
      boot.dataDirLock.release();
      throw new Error(`member ${formatIdHex(boot.memberId)} has already been removed from the cluster; ` +
        'remove its data dir and add it again as a new member');
    }
    const store = await MvccStore.open(boot.backend);
    const server = new EtcdServer(options, boot, store, logger, clock, createTransport, metrics);
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

  /** Keys alive at the current revision (counted once, then kept up to date from applied events). */
  keysTotal(): number {
    this.keyCounter ??= new KeyCounter(this);
    return this.keyCounter.count();
  }

  memberIdHex(): string {
    return formatIdHex(this.memberId);
  }

  /**
   * Registers a callback for when the server stops (cleanly or on a fatal error). Registered after the
   * stop finished (e.g. a removed member told so by a peer while starting), it runs on the next tick.
   */
  onStop(handler: (error?: unknown) => void): void {
    if (this.stopResult !== undefined) {
      const { error } = this.stopResult;
      setImmediate(() => handler(error));
      return;
    }
    this.stopHandlers.push(handler);
  }

  /** True once stop() began (a member removed while starting must not go on to serve clients). */
  get stopRequested(): boolean {
    return this.stopping;
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

  /**
   * Maintenance.Snapshot: streams the backend's committed data as a bbolt file plus sha256 trailer on
   * `call`, in bounded memory (src/server/snapshot-stream.ts). Throws backend errors.
   */
  async sendSnapshot(call: SnapshotCall): Promise<void> {
    const started = performance.now();
    await sendBackendSnapshot(call, this.backend);
    this.metrics.snapshotSaveMs(performance.now() - started);
  }

  /** Rewrites this member's backend compactly (blocks only this member's backend). */
  async defragment(): Promise<void> {
    const started = performance.now();
    this.metrics.defragInflight(true);
    try {
      await this.backend.defrag();
    } finally {
      this.metrics.defragInflight(false);
      this.metrics.defragMs(performance.now() - started);
    }
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

  async range(request: RangeRequest, authInfo?: AuthInfo): Promise<RangeResponse> {
    checkRangeRequest(request);
    this.metrics.mvccOp('range');
    this.alarms.checkData();
    if (!request.serializable) await this.linearizableRead();
    this.auth.checkRange(authInfo, request.key, request.rangeEnd);
    const response = this.kv.range(request);
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  async put(request: PutRequest, authInfo?: AuthInfo): Promise<PutResponse> {
    checkPutRequest(request);
    await this.quota.checkBeforePropose(request.key.length + request.value.length + QUOTA_OVERHEAD_BYTES_PER_KEY);
    const result = await this.proposer.propose(InternalRaftRequest.create({ put: request,
      header: this.authHeader(authInfo) }));
    const response = result.response as PutResponse;
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  async deleteRange(request: DeleteRangeRequest, authInfo?: AuthInfo): Promise<DeleteRangeResponse> {
    checkDeleteRequest(request);
    this.alarms.checkData();
    const result = await this.proposer.propose(InternalRaftRequest.create({ deleteRange: request,
      header: this.authHeader(authInfo) }));
    const response = result.response as DeleteRangeResponse;
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  async txn(request: TxnRequest, authInfo?: AuthInfo): Promise<TxnResponse> {
    checkTxnRequest(request, this.options.maxTxnOps);
    this.metrics.mvccOp('txn');
    if (isTxnReadOnly(request)) {
      const serializable = request.success.concat(request.failure).every((op) => op.requestRange?.serializable ?? true);
      if (!serializable) await this.linearizableRead();
      checkTxnPermissions(this.auth, authInfo, request);
      const response = this.kv.txn(request).response;
      response.header = this.header(response.header?.revision ?? 0);
      return response;
    }
    if (txnHasPut(request)) await this.quota.checkBeforePropose(QUOTA_OVERHEAD_BYTES_PER_KEY);
    const result = await this.proposer.propose(InternalRaftRequest.create({ txn: request,
      header: this.authHeader(authInfo) }));
    const response = result.response as TxnResponse;
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  async compact(request: CompactionRequest, authInfo?: AuthInfo): Promise<CompactionResponse> {
    const result = await this.proposer.propose(InternalRaftRequest.create({ compaction: request,
      header: this.authHeader(authInfo) }));
    if (request.physical && result.physicalDone !== undefined) await result.physicalDone;
    const response = result.response as CompactionResponse;
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  // ---- Lease API (logic in src/lease/lease-manager.ts) ------------------------------------------

  async leaseGrant(request: LeaseGrantRequest): Promise<LeaseGrantResponse> {
    const response = await this.leases.grant(request);
    this.metrics.leaseGranted(response.TTL);
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  async leaseRevoke(id: bigint, authInfo?: AuthInfo): Promise<LeaseRevokeResponse> {
    // Checked here (not at apply): revocations of expired leases are the server's own proposals.
    checkLeaseWrites(this.auth, authInfo, this.leases.lessor, id);
    const response = await this.leases.revoke(id);
    this.metrics.leaseRevoked();
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  /** Renews a lease (on the leader; forwarded from followers). Returns its TTL; ERR_LEASE_NOT_FOUND if gone. */
  leaseKeepAlive(id: bigint): Promise<number> {
    if (this.stopping) return Promise.reject(etcdError('ERR_STOPPED'));
    this.metrics.leaseRenewed();
    return this.leases.keepAlive(id);
  }

  async leaseTimeToLive(request: LeaseTimeToLiveRequest, authInfo?: AuthInfo): Promise<LeaseTimeToLiveResponse> {
    if (request.keys && this.auth.isEnabled()) {
      for (const key of this.leases.lessor.keysOf(request.ID)) this.auth.checkRange(authInfo, key, new Uint8Array(0));
    }
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

  serveHashKv(request: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve().then(() => serveHashKv(this.store, this.header(), request));
  }

  /**
   * --experimental-initial-corrupt-check: compares this member's hash with its peers' before it serves.
   * @throws DataInconsistencyError when a comparable peer hash differs.
   */
  checkInitialHashes(): Promise<void> {
    return checkInitialHashes(this.corruptionHost(), this.logger);
  }

  private corruptionHost(): ReturnType<typeof corruptionCheckHost> {
    return corruptionCheckHost({
      memberId: this.memberId, memberIds: () => this.membership.list().map((m) => m.id), store: () => this.store,
      transport: this.transport, isLeader: () => this.isLeader(), alarm: (request) => this.alarm(request),
    });
  }

  // ---- Auth API (logic in src/auth and apply/auth-applier.ts) -----------------------------------

  /** The raft header of a client request: who sent it, checked again at apply time. */
  private authHeader(authInfo: AuthInfo | undefined): RequestHeader {
    return RequestHeader.create({ username: authInfo?.username ?? '', authRevision: authInfo?.revision ?? 0 });
  }

  /** Proposes an auth_* request on behalf of `authInfo` and returns the applied response with a header. */
  async proposeAuth<T extends { header: ResponseHeader | undefined }>(request: InternalRaftRequest,
    authInfo?: AuthInfo): Promise<T> {
    request.header = this.authHeader(authInfo);
    const response = (await this.proposer.propose(request)).response as T;
    response.header = this.header();
    return response;
  }

  /**
   * etcd's Authenticate: the password is checked here (bcrypt in a worker), then a token is recorded
   * through raft (no password in the log). Retried when the auth revision moved meanwhile.
   */
  async authenticate(name: string, password: string): Promise<AuthenticateResponse> {
    await this.linearizableRead();
    for (;;) {
      const checkedRevision = await this.auth.checkPassword(name, password);
      const request = InternalRaftRequest.create({ authenticate: InternalAuthenticateRequest.create({
        name, simpleToken: this.auth.tokens.genTokenPrefix() }) });
      const response = await this.proposeAuth<AuthenticateResponse>(request);
      if (checkedRevision === this.auth.revision()) return response;
      this.logger.info({}, 'revision when password checked became stale; retrying');
    }
  }

  /** Waits until a read issued now observes every write acknowledged before it. */
  linearizableRead(): Promise<void> {
    if (this.stopping) return Promise.reject(etcdError('ERR_STOPPED'));
    return this.reads.wait().catch((error: unknown) => {
      this.metrics.readIndexFailed();
      throw error;
    });
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

  /**
   * Applied its own removal from the log: keeps running for REMOVED_SELF_STOP_DELAY_MS before stopping, as
   * etcd does, so that a removed leader can still spread the removal's commit and hand leadership off
   * (docs/design/0003-raft.md §5; stopping at once can leave the others slow to elect, sim SEED=91810).
   */
  private removedSelf(): void {
    if (this.stopping) return;
    setTimeout(() => this.removedByPeer(), REMOVED_SELF_STOP_DELAY_MS);
  }

  membersJson(): string {
    return `{"clusterId":"${formatIdHex(this.clusterId)}","members":[${this.membership.list().map(encodeMemberJson).join(',')}]}`;
  }

  /** Promotes a learner: on the leader directly, otherwise forwarded to the leader over the peer API. */
  async promoteMember(id: bigint): Promise<void> {
    if (this.isLeader()) {
      await this.cluster.memberPromote(id);
      this.metrics.learnerPromoted();
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
      proposeConfChange: (change, requestId) => this.proposer.proposeConfChange(change, requestId),
      confChangeApplied: (requestId) => this.wait.trigger(requestId, {}),
      onRemovedSelf: () => this.removedSelf(),
      unixSeconds: () => Math.floor(this.clock.wallMs() / 1000),
    });
  }

  /** Alarm RPC: GET is answered locally; ACTIVATE/DEACTIVATE go through raft. */
  async alarm(request: AlarmRequest): Promise<AlarmResponse> {
    if (request.action === AlarmRequest_AlarmAction.GET) {
      return AlarmResponse.create({ header: this.header(), alarms: this.alarms.list(request.alarm) });
    }
    const result = await this.proposer.propose(InternalRaftRequest.create({ alarm: request }));
    const response = result.response as AlarmResponse;
    response.header = this.header();
    return response;
  }

  private createAutoCompactor(): AutoCompactor | undefined {
    const { autoCompactionMode: mode, autoCompactionRetention: text } = this.options;
    if (text === '0' || text === '') return undefined;
    const retention = parseRetention(mode, text);
    if (retention <= 0) return undefined; // "0s", or a negative duration: etcd runs no useful compactor either
    const compactor = new AutoCompactor(mode, retention, {
      currentRevision: () => this.store.currentRevision(),
      compactRevision: () => this.store.compactRevision(),
      compact: async (revision) => {
        // etcd's compactor log lines and fields (zap durations as Go prints them).
        const fields = mode === 'periodic' ? { revision, 'compact-period': formatGoDuration(retention) }
          : { revision, 'revision-compaction-retention': retention };
        this.logger.info(fields, `starting auto ${mode} compaction`);
        const startedMs = performance.now();
        await this.compact(CompactionRequest.create({ revision }));
        this.logger.info({ ...fields, took: formatGoDuration(performance.now() - startedMs) }, `completed auto ${mode} compaction`);
      },
    }, this.clock, (error) => {
      if (!isEtcdError(error, 'ERR_COMPACTED')) this.logger.warn({ error: String(error) }, `failed auto ${mode} compaction`);
    });
    this.autoCompactTimer = setInterval(() => compactor.tick(), compactor.tickIntervalMs());
    this.autoCompactTimer.unref();
    return compactor;
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
      this.proposer.propose(request, PUBLISH_TIMEOUT_MS).then(() => { this.published = true; this.markPublished(); },
        () => this.schedulePublish(PUBLISH_RETRY_MS));
    }, delayMs);
  }

  /** Installs a backend image received with a raft snapshot (raft hands it over in a Ready). */
  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    const index = snapshot.metadata.index;
    this.logger.info({ index, term: snapshot.metadata.term }, 'applying snapshot from leader');
    this.metrics.snapshotApplyInProgress(true);
    await this.store.close();
    await this.backend.close();
    const { dbPath } = memberPaths(this.options.dataDir, this.options.walDir);
    await installIncomingDb(this.boot.snapDir, index, dbPath);
    this.backend = await Backend.open(dbPath, { batchIntervalMs: this.options.backendBatchIntervalMs,
      batchLimit: this.options.backendBatchLimit, onCommit: (ms) => this.metrics.backendCommitMs(ms) });
    this.store = await MvccStore.open(this.backend);
    this.membership = new Membership(this.backend);
    this.leases.replaceState(this.backend, this.store);
    this.alarms.reset(this.backend);
    this.auth.recover(this.backend);
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
    this.metrics.snapshotApplyInProgress(false);
    this.logger.info({ index, 'consistent-index': this.store.consistentIndex(),
      revision: this.store.currentRevision() },
      'applied snapshot from leader');
  }

  private onSoftState(state: SoftState): void {
    const previous = this.softState;
    this.softState = state;
    this.heartbeatSentAtMs.clear();
    this.autoCompactor?.setActive(state.raftState === StateType.Leader);
    this.leases.setLeader(state.raftState === StateType.Leader);
    if (state.lead !== previous.lead) {
      if (state.lead !== 0n) this.metrics.leaderChanged();
      if (state.lead === 0n) this.logger.warn({ 'local-member-id': this.memberIdHex() }, 'raft lost leader');
      else this.logger.info({ 'local-member-id': this.memberIdHex(), leader: formatIdHex(state.lead),
        term: this.driver.term },
        previous.lead === 0n ? 'raft elected leader' : 'raft leader changed');
    }
  }

  /** etcd's "added member" / "removed member" / "promote member" lines after conf changes are applied. */
  private logMembershipChanges(before: MemberInfo[]): void {
    const after = this.memberList();
    const ids = (list: MemberInfo[]): Map<bigint, MemberInfo> => new Map(list.map((m) => [m.id, m]));
    const [old, now] = [ids(before), ids(after)];
    const base = { 'cluster-id': formatIdHex(this.clusterId), 'local-member-id': this.memberIdHex() };
    for (const [id, member] of now) {
      const was = old.get(id);
      if (was === undefined) {
        this.logger.info({ ...base, 'added-peer-id': formatIdHex(id), 'added-peer-peer-urls': member.peerUrls,
          'added-peer-is-learner': member.isLearner }, 'added member');
      } else if (was.isLearner && !member.isLearner) {
        this.logger.info({ ...base, 'promoted-member-id': formatIdHex(id) }, 'promote member');
      }
    }
    for (const id of old.keys()) {
      if (!now.has(id)) this.logger.info({ ...base, 'removed-remote-peer-id': formatIdHex(id) }, 'removed member');
    }
  }

  /** Connects the scrape-time gauges and the per-write counters of this member's registry. */
  private bindMetrics(): void {
    this.metrics.bindSource({
      hasLeader: () => this.softState.lead !== 0n, isLeader: () => this.isLeader(), isLearner: () => this.isLearner(),
      committedIndex: () => this.boot.storage.initialState().hardState.commit,
      appliedIndex: () => this.entries.appliedIndex, pendingProposals: () => this.wait.size,
      quotaBytes: () => this.options.quotaBackendBytes, dbSizeBytes: () => this.backend.sizeBytes(),
      dbSizeInUseBytes: () => this.backend.sizeInUseBytes(), currentRevision: () => this.store.currentRevision(),
      compactRevision: () => this.store.compactRevision(), memberIdHex: () => this.memberIdHex(),
      keysTotal: () => this.keysTotal(),
      watchGauges: () => this.watchGauges?.(),
    });
    this.entries.onSlowApply = () => this.metrics.slowApply();
    this.entries.onEvents((events) => {
      for (const event of events) {
        if (event.type === Event_EventType.DELETE) { this.metrics.mvccOp('delete'); continue; }
        this.metrics.mvccOp('put');
        this.metrics.putBytes((event.kv?.key.length ?? 0) + (event.kv?.value.length ?? 0));
      }
    });
  }

  /**
   * etcd's heartbeat timeout detector: a leader heartbeat to a peer more than two heartbeat intervals
   * after the previous one counts as a send failure (the leader was too slow, e.g. a blocked event loop).
   */
  private noteHeartbeats(messages: readonly Message[]): void {
    const nowMs = performance.now();
    for (const message of messages) {
      if (message.type !== MessageType.Heartbeat) continue;
      const lastMs = this.heartbeatSentAtMs.get(message.to);
      this.heartbeatSentAtMs.set(message.to, nowMs);
      if (lastMs === undefined || nowMs - lastMs <= HEARTBEAT_LATE_FACTOR * this.options.heartbeatIntervalMs) continue;
      this.metrics.heartbeatSendFailed();
      const expectedMs = HEARTBEAT_LATE_FACTOR * this.options.heartbeatIntervalMs;
      this.logger.warn({ 'to': formatIdHex(message.to), 'expected-duration': `${expectedMs}ms`,
        'exceeded-duration': `${(nowMs - lastMs - expectedMs).toFixed(1)}ms` },
      'leader failed to send out heartbeat on time; took too long, leader is overloaded likely from slow disk');
    }
  }

  /** Asks raft for a read index; a round asked again (unanswered in time) is a slow read index, as etcd counts. */
  private requestReadIndex(ctx: Uint8Array): void {
    if (Buffer.compare(ctx, this.lastReadIndexCtx) <= 0) this.metrics.slowReadIndex();
    else this.lastReadIndexCtx = Buffer.from(ctx);
    this.driver.node.readIndex(ctx);
  }

  /** The raft snapshot trigger, timed when it saved a snapshot (etcd_debugging_snap_save_total_duration_seconds). */
  private async timedMaybeSnapshot(): Promise<void> {
    const before = this.boot.storage.snapshot().metadata.index;
    const started = performance.now();
    await this.snapshots.maybeSnapshot(this.boot.storage, this.backend);
    if (this.boot.storage.snapshot().metadata.index !== before) this.metrics.snapSaveMs(performance.now() - started);
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
    this.corruptionChecker?.stop();
    this.auth.tokens.disable();
    await this.auth.pool.close();
    await this.driver.stop();
    await this.transport.stop().catch(() => undefined);
    this.wait.failAll(etcdError('ERR_STOPPED'));
    this.reads.failAll(etcdError('ERR_STOPPED'));
    await this.store.close().catch((e: unknown) => this.logger.error({ err: e }, 'closing the store failed'));
    await this.backend.close().catch(() => undefined);
    await this.boot.wal.close().catch((e: unknown) => this.logger.error({ err: e }, 'closing the WAL failed'));
    this.boot.dataDirLock.release();
    this.stopResult = { error };
    for (const handler of this.stopHandlers.splice(0)) handler(error);
  }
}

