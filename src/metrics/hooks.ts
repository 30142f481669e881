/**
 * The narrow interfaces the instrumented layers call (server, transport, gRPC server). They carry no
 * prom-client types, so a layer depends only on these few methods; EtcdMetrics implements all of them.
 */

/** Values read at scrape time from the running member (pull, so the hot path pays nothing). */
export interface MetricsSource {
  hasLeader(): boolean;
  isLeader(): boolean;
  isLearner(): boolean;
  /** Raft commit index (etcd_server_proposals_committed_total). */
  committedIndex(): number;
  /** Applied index (etcd_server_proposals_applied_total). */
  appliedIndex(): number;
  /** Proposals waiting for their apply result (etcd_server_proposals_pending). */
  pendingProposals(): number;
  quotaBytes(): number;
  dbSizeBytes(): number;
  dbSizeInUseBytes(): number;
  currentRevision(): number;
  compactRevision(): number;
  keysTotal(): number;
  memberIdHex(): string;
  /** etcd's watch gauges (etcd_debugging_mvcc_watcher_total and friends); undefined before Watch is served. */
  watchGauges?(): WatchGaugeValues | undefined;
}

/** Live watchers, open watch streams, unsynced (slow) watchers, events queued but not yet sent. */
export interface WatchGaugeValues {
  watchers: number;
  streams: number;
  slowWatchers: number;
  pendingEvents: number;
}

/** Events the server layer reports. */
export interface ServerMetricsHooks {
  leaderChanged(): void;
  proposalFailed(): void;
  slowApply(): void;
  readIndexFailed(): void;
  learnerPromoted(): void;
  /** etcd_mvcc_* and etcd_debugging_mvcc_* counters. */
  mvccOp(op: 'put' | 'range' | 'delete' | 'txn', count?: number): void;
  putBytes(bytes: number): void;
  events(count: number): void;
  walFsyncMs(durationMs: number): void;
  walWrite(bytes: number): void;
  backendCommitMs(durationMs: number): void;
  defragMs(durationMs: number): void;
  defragInflight(active: boolean): void;
  snapshotSaveMs(durationMs: number): void;
  hashMs(durationMs: number, byRevision: boolean): void;
  leaseGranted(ttlSeconds: number): void;
  leaseRevoked(): void;
  leaseRenewed(): void;
  snapshotApplyInProgress(active: boolean): void;
  /** The leader sent a heartbeat later than twice the heartbeat interval (etcd_server_heartbeat_send_failures_total). */
  heartbeatSendFailed(): void;
  /** A ReadIndex round went unanswered and was sent again (etcd_server_slow_read_indexes_total). */
  slowReadIndex(): void;
  /** The leader revoked a lease because it expired (etcd_debugging_server_lease_expired_total). */
  leaseExpired(): void;
  /** Saving a raft snapshot (etcd_debugging_snap_save_total_duration_seconds). */
  snapSaveMs(durationMs: number): void;
}

/** gRPC's go-grpc-prometheus counters and etcd's client byte counters. */
export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';
export interface GrpcMetricsHooks {
  /** Pre-creates the zero series of a method (as go-grpc-prometheus does on registration). */
  methodRegistered(service: string, method: string, type: GrpcType): void;
  started(service: string, method: string, type: GrpcType): void;
  /** `code` is the numeric gRPC status code. */
  handled(service: string, method: string, type: GrpcType, code: number, durationMs: number): void;
  messageReceived(service: string, method: string, type: GrpcType): void;
  messageSent(service: string, method: string, type: GrpcType): void;
  receivedBytes(bytes: number): void;
  sentBytes(bytes: number): void;
}

/** Peer network counters (labels are member ids in hex, as etcd's To/From). */
export interface PeerMetricsHooks {
  sentBytes(toHex: string, bytes: number): void;
  receivedBytes(fromHex: string, bytes: number): void;
  sendFailed(toHex: string): void;
  roundTripSeconds(toHex: string, seconds: number): void;
  peerActive(localHex: string, remoteHex: string, active: boolean): void;
}

/** A sink that records nothing (tests, embedding without metrics). */
export const NOOP_SERVER_HOOKS: ServerMetricsHooks = {
  leaderChanged: () => undefined, proposalFailed: () => undefined, slowApply: () => undefined,
  readIndexFailed: () => undefined, learnerPromoted: () => undefined, mvccOp: () => undefined,
  putBytes: () => undefined, events: () => undefined, walFsyncMs: () => undefined, walWrite: () => undefined,
  backendCommitMs: () => undefined, defragMs: () => undefined, defragInflight: () => undefined,
  snapshotSaveMs: () => undefined, hashMs: () => undefined, leaseGranted: () => undefined,
  leaseRevoked: () => undefined, leaseRenewed: () => undefined, snapshotApplyInProgress: () => undefined,
  heartbeatSendFailed: () => undefined, slowReadIndex: () => undefined, leaseExpired: () => undefined,
  snapSaveMs: () => undefined,
};
