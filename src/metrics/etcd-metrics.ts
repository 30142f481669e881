/**
 * One member's Prometheus registry with etcd's metric names, types, help texts, labels and buckets
 * (as etcd 3.4/3.5 export them; help texts checked against a running etcd 3.4.23). Each member owns
 * its own prom-client Registry (never the global default), so several members in one process do not
 * clash. Gauges that mirror server state are read from a MetricsSource at scrape time.
 *
 *   const metrics = new EtcdMetrics({ level: 'basic' });
 *   metrics.bindSource(source);            // once the server exists
 *   const text = await metrics.render();   // GET /metrics body, content type metrics.contentType
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import type {
  GrpcMetricsHooks, GrpcType, MetricsSource, PeerMetricsHooks, ServerMetricsHooks, WatchGaugeValues,
} from './hooks.js';
import { GRPC_CODE_NAMES, grpcCodeName } from './grpc-codes.js';
import { type DeferredCounter, type DeferredHistogram, deferCounter, deferHistogram, flushDeferred } from './deferred.js';

export type MetricsLevel = 'basic' | 'extensive';

/** The series of one gRPC method (buffered: these move on every call, see deferred.ts). */
interface GrpcSeries {
  started: DeferredCounter;
  received: DeferredCounter;
  sent: DeferredCounter;
  handled(code: number): DeferredCounter;
  handling: DeferredHistogram | undefined;
}

/** The metrics updated on every put or raft message, buffered (see deferred.ts). */
interface HotSeries {
  unaryRequests: DeferredCounter;
  streamRequests: DeferredCounter;
  clientGrpcReceived: DeferredCounter;
  clientGrpcSent: DeferredCounter;
  mvcc: Record<'put' | 'range' | 'delete' | 'txn', DeferredCounter>;
  debuggingMvcc: Record<'put' | 'range' | 'delete' | 'txn', DeferredCounter>;
  events: DeferredCounter;
  totalPutSize: DeferredCounter;
  walWriteBytes: DeferredCounter;
  walFsync: DeferredHistogram;
  backendCommit: DeferredHistogram;
}

/** etcd_server_client_requests_total's client_api_version (the API level tetcd serves). */
const CLIENT_API_VERSION = '3.5';

export interface EtcdMetricsOptions {
  level?: MetricsLevel;
  /** Reported by etcd_server_version / etcd_cluster_version (cluster: major.minor as etcd). */
  serverVersion?: string;
  /** Process and Node.js runtime collectors (process_*, nodejs_*); default true. */
  processMetrics?: boolean;
}

const MS_PER_SECOND = 1000;
/** Prometheus client_golang's default histogram buckets (grpc_server_handling_seconds). */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class EtcdMetrics implements ServerMetricsHooks, GrpcMetricsHooks {
  readonly registry = new Registry();
  readonly level: MetricsLevel;
  private source: MetricsSource | undefined;
  private readonly c: ReturnType<typeof createCounters>;
  private readonly h: ReturnType<typeof createHistograms>;
  private readonly g: ReturnType<typeof createEventGauges>;
  private readonly grpc = new Map<string, GrpcSeries>();
  private readonly peerSent = new Map<string, DeferredCounter>();
  private readonly peerReceived = new Map<string, DeferredCounter>();
  private readonly hot: HotSeries;

  constructor(options: EtcdMetricsOptions = {}) {
    this.level = options.level ?? 'basic';
    const registers = [this.registry];
    this.c = createCounters(registers);
    this.h = createHistograms(registers, this.level);
    this.g = createEventGauges(registers);
    this.hot = createHotSeries(this.c, this.h, this.g);
    createSourceGauges(registers, () => this.source);
    createInfoGauges(registers, options.serverVersion ?? '3.5.0', () => this.source);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Connects the scrape-time gauges to a running member. */
  bindSource(source: MetricsSource): void {
    this.source = source;
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  // ---- ServerMetricsHooks ----
  leaderChanged(): void { this.c.leaderChanges.inc(); }
  proposalFailed(): void { this.c.proposalsFailed.inc(); }
  slowApply(): void { this.c.slowApply.inc(); }
  readIndexFailed(): void { this.c.readIndexesFailed.inc(); }
  learnerPromoted(): void { this.c.learnerPromotes.inc(); }
  mvccOp(op: 'put' | 'range' | 'delete' | 'txn', count = 1): void {
    this.hot.mvcc[op].inc(count);
    this.hot.debuggingMvcc[op].inc(count);
  }
  putBytes(bytes: number): void { this.hot.totalPutSize.inc(bytes); }
  events(count: number): void { this.hot.events.inc(count); }
  walFsyncMs(durationMs: number): void { this.hot.walFsync.observe(durationMs / MS_PER_SECOND); }
  walWrite(bytes: number): void { this.hot.walWriteBytes.inc(bytes); }
  backendCommitMs(durationMs: number): void { this.hot.backendCommit.observe(durationMs / MS_PER_SECOND); }
  defragMs(durationMs: number): void { this.h.defrag.observe(durationMs / MS_PER_SECOND); }
  defragInflight(active: boolean): void { this.g.defragInflight.set(active ? 1 : 0); }
  snapshotSaveMs(durationMs: number): void { this.h.backendSnapshot.observe(durationMs / MS_PER_SECOND); }
  hashMs(durationMs: number, byRevision: boolean): void {
    (byRevision ? this.h.hashRev : this.h.hash).observe(durationMs / MS_PER_SECOND);
  }
  leaseGranted(ttlSeconds: number): void {
    this.c.leaseGranted.inc();
    this.h.leaseTtl.observe(ttlSeconds);
  }
  leaseRevoked(): void { this.c.leaseRevoked.inc(); }
  leaseRenewed(): void { this.c.leaseRenewed.inc(); }
  snapshotApplyInProgress(active: boolean): void { this.g.snapshotApplyInProgress.set(active ? 1 : 0); }
  heartbeatSendFailed(): void { this.c.heartbeatFailures.inc(); }
  slowReadIndex(): void { this.c.slowReadIndexes.inc(); }
  leaseExpired(): void { this.c.leaseExpired.inc(); }
  snapSaveMs(durationMs: number): void { this.h.snapSave.observe(durationMs / MS_PER_SECOND); }
  healthChecked(ok: boolean): void { (ok ? this.c.healthSuccess : this.c.healthFailures).inc(); }

  // ---- GrpcMetricsHooks (label children cached per method: no label hashing per call) ----
  methodRegistered(service: string, method: string, type: GrpcType): void {
    const series = this.grpcSeries(service, method, type);
    series.started.touch();
    series.received.touch();
    series.sent.touch();
    for (let code = 0; code < GRPC_CODE_NAMES.length; code++) series.handled(code).touch();
  }
  started(service: string, method: string, type: GrpcType): void {
    this.grpcSeries(service, method, type).started.inc();
    (type === 'unary' ? this.hot.unaryRequests : this.hot.streamRequests).inc();
  }
  handled(service: string, method: string, type: GrpcType, code: number, durationMs: number): void {
    const series = this.grpcSeries(service, method, type);
    series.handled(code).inc();
    series.handling?.observe(durationMs / MS_PER_SECOND);
  }
  messageReceived(service: string, method: string, type: GrpcType): void {
    this.grpcSeries(service, method, type).received.inc();
  }
  messageSent(service: string, method: string, type: GrpcType): void {
    this.grpcSeries(service, method, type).sent.inc();
  }

  private grpcSeries(service: string, method: string, type: GrpcType): GrpcSeries {
    const key = `${service}/${method}/${type}`;
    let series = this.grpc.get(key);
    if (series === undefined) {
      const labels = { grpc_type: type, grpc_service: service, grpc_method: method };
      const codes = new Map<number, DeferredCounter>();
      const { grpcStarted, grpcMsgReceived, grpcMsgSent, grpcHandled } = this.c;
      const handling = this.h.grpcHandling;
      series = {
        started: deferCounter(grpcStarted, grpcStarted.labels(labels)),
        received: deferCounter(grpcMsgReceived, grpcMsgReceived.labels(labels)),
        sent: deferCounter(grpcMsgSent, grpcMsgSent.labels(labels)),
        handling: handling === undefined ? undefined : deferHistogram(handling, handling.labels(labels)),
        handled: (code) => {
          let child = codes.get(code);
          if (child === undefined) {
            child = deferCounter(grpcHandled, grpcHandled.labels({ ...labels, grpc_code: grpcCodeName(code) }));
            codes.set(code, child);
          }
          return child;
        },
      };
      this.grpc.set(key, series);
    }
    return series;
  }
  receivedBytes(bytes: number): void { this.hot.clientGrpcReceived.inc(bytes); }
  sentBytes(bytes: number): void { this.hot.clientGrpcSent.inc(bytes); }

  // ---- peer network (exposed to the transport through peerHooks()) ----
  peerSentBytes(toHex: string, bytes: number): void {
    this.peerChild(this.peerSent, this.c.peerSent, 'To', toHex).inc(bytes);
  }
  peerReceivedBytes(fromHex: string, bytes: number): void {
    this.peerChild(this.peerReceived, this.c.peerReceived, 'From', fromHex).inc(bytes);
  }

  /** Per-peer counter children, cached and buffered (these counters move on every raft message). */
  private peerChild(cache: Map<string, DeferredCounter>, counter: Counter<string>, label: string,
    peer: string): DeferredCounter {
    let child = cache.get(peer);
    if (child === undefined) {
      child = deferCounter(counter, counter.labels({ [label]: peer }));
      cache.set(peer, child);
    }
    return child;
  }
  sendFailed(toHex: string): void { this.c.peerSendFailures.inc({ To: toHex }); }
  roundTripSeconds(toHex: string, seconds: number): void { this.h.peerRtt.observe({ To: toHex }, seconds); }
  peerActive(localHex: string, remoteHex: string, active: boolean): void {
    this.g.activePeers.set({ Local: localHex, Remote: remoteHex }, active ? 1 : 0);
    if (!active) this.c.disconnectedPeers.inc({ Local: localHex, Remote: remoteHex });
  }

  /** The PeerMetricsHooks view of this registry (its byte counters are per peer). */
  peerHooks(): PeerMetricsHooks {
    return {
      sentBytes: (to, bytes) => this.peerSentBytes(to, bytes),
      receivedBytes: (from, bytes) => this.peerReceivedBytes(from, bytes),
      sendFailed: (to) => this.sendFailed(to),
      roundTripSeconds: (to, seconds) => this.roundTripSeconds(to, seconds),
      peerActive: (local, remote, active) => this.peerActive(local, remote, active),
    };
  }
}

type Registers = Registry[];

// Every counter, histogram and event gauge hands over its buffered updates when collected (deferred.ts).
function counter(registers: Registers, name: string, help: string, labelNames: string[] = []): Counter<string> {
  return new Counter({ name, help, labelNames, registers, collect(this: Counter<string>) { flushDeferred(this); } });
}

function histogram(registers: Registers, name: string, help: string, buckets: number[],
  labelNames: string[] = []): Histogram<string> {
  return new Histogram({ name, help, buckets, labelNames, registers,
    collect(this: Histogram<string>) { flushDeferred(this); } });
}

function createHotSeries(c: ReturnType<typeof createCounters>, h: ReturnType<typeof createHistograms>,
  g: ReturnType<typeof createEventGauges>): HotSeries {
  const requests = (type: string): DeferredCounter =>
    deferCounter(c.clientRequests, c.clientRequests.labels({ type, client_api_version: CLIENT_API_VERSION }));
  const mvcc = (counters: typeof c.mvcc): HotSeries['mvcc'] => ({
    put: deferCounter(counters.put, counters.put), range: deferCounter(counters.range, counters.range),
    delete: deferCounter(counters.delete, counters.delete), txn: deferCounter(counters.txn, counters.txn),
  });
  return {
    unaryRequests: requests('unary'), streamRequests: requests('stream'),
    clientGrpcReceived: deferCounter(c.clientGrpcReceived, c.clientGrpcReceived),
    clientGrpcSent: deferCounter(c.clientGrpcSent, c.clientGrpcSent),
    mvcc: mvcc(c.mvcc), debuggingMvcc: mvcc(c.debuggingMvcc),
    events: deferCounter(c.events, c.events),
    totalPutSize: deferCounter(g.totalPutSize, g.totalPutSize),
    walWriteBytes: deferCounter(g.walWriteBytes, g.walWriteBytes),
    walFsync: deferHistogram(h.walFsync, h.walFsync),
    backendCommit: deferHistogram(h.backendCommit, h.backendCommit),
  };
}

function createCounters(r: Registers) {
  const grpcLabels = ['grpc_type', 'grpc_service', 'grpc_method'];
  const mvcc = (prefix: string) => ({
    put: counter(r, `${prefix}_put_total`, 'Total number of puts seen by this member.'),
    delete: counter(r, `${prefix}_delete_total`, 'Total number of deletes seen by this member.'),
    range: counter(r, `${prefix}_range_total`, 'Total number of ranges seen by this member.'),
    txn: counter(r, `${prefix}_txn_total`, 'Total number of txns seen by this member.'),
  });
  return {
    leaderChanges: counter(r, 'etcd_server_leader_changes_seen_total', 'The number of leader changes seen.'),
    proposalsFailed: counter(r, 'etcd_server_proposals_failed_total', 'The total number of failed proposals seen.'),
    slowApply: counter(r, 'etcd_server_slow_apply_total',
      'The total number of slow apply requests (likely overloaded from slow disk).'),
    heartbeatFailures: counter(r, 'etcd_server_heartbeat_send_failures_total',
      'The total number of leader heartbeat send failures (likely overloaded from slow disk).'),
    readIndexesFailed: counter(r, 'etcd_server_read_indexes_failed_total', 'The total number of failed read indexes seen.'),
    slowReadIndexes: counter(r, 'etcd_server_slow_read_indexes_total',
      "The total number of pending read indexes not in sync with leader's or timed out read index requests."),
    learnerPromotes: counter(r, 'etcd_server_learner_promote_successes',
      'The total number of successful learner promotions while this member is leader.'),
    healthSuccess: counter(r, 'etcd_server_health_success', 'The total number of successful health checks'),
    healthFailures: counter(r, 'etcd_server_health_failures', 'The total number of failed health checks'),
    clientRequests: counter(r, 'etcd_server_client_requests_total',
      'The total number of client requests per client version.', ['type', 'client_api_version']),
    leaseExpired: counter(r, 'etcd_debugging_server_lease_expired_total', 'The total number of expired leases.'),
    mvcc: mvcc('etcd_mvcc'),
    debuggingMvcc: mvcc('etcd_debugging_mvcc'),
    events: counter(r, 'etcd_debugging_mvcc_events_total', 'Total number of events sent by this member.'),
    leaseGranted: counter(r, 'etcd_debugging_lease_granted_total', 'The total number of granted leases.'),
    leaseRevoked: counter(r, 'etcd_debugging_lease_revoked_total', 'The total number of revoked leases.'),
    leaseRenewed: counter(r, 'etcd_debugging_lease_renewed_total', 'The number of renewed leases seen by the leader.'),
    clientGrpcSent: counter(r, 'etcd_network_client_grpc_sent_bytes_total',
      'The total number of bytes sent to grpc clients.'),
    clientGrpcReceived: counter(r, 'etcd_network_client_grpc_received_bytes_total',
      'The total number of bytes received from grpc clients.'),
    peerSent: counter(r, 'etcd_network_peer_sent_bytes_total', 'The total number of bytes sent to peers.', ['To']),
    peerReceived: counter(r, 'etcd_network_peer_received_bytes_total',
      'The total number of bytes received from peers.', ['From']),
    peerSendFailures: counter(r, 'etcd_network_peer_sent_failures_total',
      'The total number of send failures from peers.', ['To']),
    disconnectedPeers: counter(r, 'etcd_network_disconnected_peers_total',
      'The total number of disconnected peers.', ['Local', 'Remote']),
    grpcStarted: counter(r, 'grpc_server_started_total', 'Total number of RPCs started on the server.', grpcLabels),
    grpcHandled: counter(r, 'grpc_server_handled_total',
      'Total number of RPCs completed on the server, regardless of success or failure.', [...grpcLabels, 'grpc_code']),
    grpcMsgReceived: counter(r, 'grpc_server_msg_received_total',
      'Total number of RPC stream messages received on the server.', grpcLabels),
    grpcMsgSent: counter(r, 'grpc_server_msg_sent_total',
      'Total number of gRPC stream messages sent by the server.', grpcLabels),
  };
}

function createHistograms(r: Registers, level: MetricsLevel) {
  const exp = exponentialBuckets;
  return {
    walFsync: histogram(r, 'etcd_disk_wal_fsync_duration_seconds',
      'The latency distributions of fsync called by WAL.', exp(0.001, 2, 14)),
    backendCommit: histogram(r, 'etcd_disk_backend_commit_duration_seconds',
      'The latency distributions of commit called by backend.', exp(0.001, 2, 14)),
    defrag: histogram(r, 'etcd_disk_backend_defrag_duration_seconds',
      'The latency distribution of backend defragmentation.', exp(0.1, 2, 13)),
    backendSnapshot: histogram(r, 'etcd_disk_backend_snapshot_duration_seconds',
      'The latency distribution of backend snapshots.', exp(0.01, 2, 17)),
    snapSave: histogram(r, 'etcd_debugging_snap_save_total_duration_seconds',
      'The total latency distributions of save called by snapshot.', exp(0.001, 2, 14)),
    hash: histogram(r, 'etcd_mvcc_hash_duration_seconds',
      'The latency distribution of storage hash operation.', exp(0.01, 2, 15)),
    hashRev: histogram(r, 'etcd_mvcc_hash_rev_duration_seconds',
      'The latency distribution of storage hash by revision operation.', exp(0.01, 2, 15)),
    leaseTtl: histogram(r, 'etcd_debugging_lease_ttl_total', 'Bucketed histogram of lease TTLs.', exp(1, 2, 24)),
    peerRtt: histogram(r, 'etcd_network_peer_round_trip_time_seconds', 'Round-Trip-Time histogram between peers',
      exp(0.0001, 2, 16), ['To']),
    grpcHandling: level === 'extensive'
      ? histogram(r, 'grpc_server_handling_seconds',
        'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
        DEFAULT_BUCKETS, ['grpc_type', 'grpc_service', 'grpc_method'])
      : undefined,
  };
}

function createEventGauges(r: Registers) {
  const gauge = (name: string, help: string, labelNames: string[] = []): Gauge<string> =>
    new Gauge({ name, help, labelNames, registers: r, collect(this: Gauge<string>) { flushDeferred(this); } });
  return {
    totalPutSize: gauge('etcd_debugging_mvcc_total_put_size_in_bytes',
      'The total size of put kv pairs seen by this member.'),
    walWriteBytes: gauge('etcd_disk_wal_write_bytes_total', 'Total number of bytes written in WAL.'),
    defragInflight: gauge('etcd_disk_defrag_inflight',
      'Whether or not defrag is active on the member. 1 means active, 0 means not.'),
    snapshotApplyInProgress: gauge('etcd_server_snapshot_apply_in_progress_total',
      '1 if the server is applying the incoming snapshot. 0 if none.'),
    activePeers: gauge('etcd_network_active_peers', 'The current number of active peer connections.',
      ['Local', 'Remote']),
  };
}

/** Gauges whose value is read from the member when scraped. */
function createSourceGauges(r: Registers, source: () => MetricsSource | undefined): void {
  const pulled = (name: string, help: string, read: (s: MetricsSource) => number): void => {
    new Gauge({ name, help, registers: r, collect() {
      const s = source();
      if (s !== undefined) this.set(read(s));
    } });
  };
  const flag = (value: boolean): number => (value ? 1 : 0);
  pulled('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.', (s) => flag(s.hasLeader()));
  pulled('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.', (s) => flag(s.isLeader()));
  pulled('etcd_server_is_learner', 'Whether or not this member is a learner. 1 if is, 0 otherwise.',
    (s) => flag(s.isLearner()));
  pulled('etcd_server_proposals_committed_total', 'The total number of consensus proposals committed.',
    (s) => s.committedIndex());
  pulled('etcd_server_proposals_applied_total', 'The total number of consensus proposals applied.',
    (s) => s.appliedIndex());
  pulled('etcd_server_proposals_pending', 'The current number of pending proposals to commit.',
    (s) => s.pendingProposals());
  pulled('etcd_server_quota_backend_bytes', 'Current backend storage quota size in bytes.', (s) => s.quotaBytes());
  const physical = 'Total size of the underlying database physically allocated in bytes.';
  pulled('etcd_mvcc_db_total_size_in_bytes', physical, (s) => s.dbSizeBytes());
  pulled('etcd_debugging_mvcc_db_total_size_in_bytes', physical, (s) => s.dbSizeBytes());
  pulled('etcd_mvcc_db_total_size_in_use_in_bytes', 'Total size of the underlying database logically in use in bytes.',
    (s) => s.dbSizeInUseBytes());
  pulled('etcd_debugging_mvcc_current_revision', 'The current revision of store.', (s) => s.currentRevision());
  pulled('etcd_debugging_mvcc_compact_revision', 'The revision of the last compaction in store.',
    (s) => s.compactRevision());
  pulled('etcd_debugging_mvcc_keys_total', 'Total number of keys.', (s) => s.keysTotal());
  const watch = (s: MetricsSource): WatchGaugeValues | undefined => s.watchGauges?.();
  pulled('etcd_debugging_mvcc_watcher_total', 'Total number of watchers.', (s) => watch(s)?.watchers ?? 0);
  pulled('etcd_debugging_mvcc_watch_stream_total', 'Total number of watch streams.', (s) => watch(s)?.streams ?? 0);
  pulled('etcd_debugging_mvcc_slow_watcher_total', 'Total number of unsynced slow watchers.',
    (s) => watch(s)?.slowWatchers ?? 0);
  pulled('etcd_debugging_mvcc_pending_events_total', 'Total number of pending events to be sent.',
    (s) => watch(s)?.pendingEvents ?? 0);
  new Gauge({ name: 'os_fd_used', help: 'The number of used file descriptors.', registers: r, collect() {
    const used = openFdCount();
    if (used !== undefined) this.set(used);
  } });
  new Gauge({ name: 'os_fd_limit', help: 'The file descriptor limit.', registers: r, collect() {
    const limit = openFdLimit();
    if (limit !== undefined) this.set(limit);
  } });
}

function createInfoGauges(r: Registers, serverVersion: string, source: () => MetricsSource | undefined): void {
  const info = (name: string, help: string, label: string, value: string): void => {
    new Gauge({ name, help, labelNames: [label], registers: r }).set({ [label]: value }, 1);
  };
  info('etcd_server_version', "Which version is running. 1 for 'server_version' label with current version.",
    'server_version', serverVersion);
  info('etcd_cluster_version', "Which version is running. 1 for 'cluster_version' label with current cluster version",
    'cluster_version', serverVersion.split('.').slice(0, 2).join('.'));
  info('etcd_server_go_version',
    "Which Go version server is running with. 1 for 'server_go_version' label with current version.",
    'server_go_version', `node${process.versions.node}`);
  new Gauge({ name: 'etcd_server_id', labelNames: ['server_id'], registers: r,
    help: "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.", collect() {
      const s = source();
      if (s !== undefined) this.set({ server_id: s.memberIdHex() }, 1);
    } });
}

/** Open file descriptors of this process (Linux /proc), undefined elsewhere. */
/** The soft limit on open files (`Max open files` in /proc/self/limits); undefined off Linux or if unlimited. */
function openFdLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line === undefined ? undefined : /^Max open files\s+(\d+)/.exec(line)?.[1];
    return soft === undefined ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

function openFdCount(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}
