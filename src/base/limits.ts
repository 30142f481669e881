/**
 * Named limits with etcd's defaults. Every queue, batch and request has a bound; configurable ones are
 * defaults that src/embed validates and overrides.
 */
export const Limits = {
  /** --max-request-bytes default: the largest request (and raft proposal) a client may send. */
  requestBytesMax: 1_572_864,
  /** gRPC receive allowance on top of --max-request-bytes (etcd adds 512 KiB for framing). */
  grpcOverheadBytes: 512 * 1024,
  /** --max-txn-ops default. */
  txnOpsMax: 128,
  /** Largest lease TTL in seconds (etcd's MaxLeaseTTL). */
  leaseTtlSecondsMax: 9_000_000_000,
  /** --quota-backend-bytes default (0 means this). */
  quotaBackendBytesDefault: 2 * 1024 * 1024 * 1024,
  /** --snapshot-count default (etcd 3.5). */
  snapshotCountDefault: 100_000,
  /** WAL segment size before a new segment is cut. */
  walSegmentBytes: 64 * 1024 * 1024,
  /**
   * WAL fdatasync runs on the main thread while recent ones (moving average) took at most this long, and
   * on the thread pool otherwise. docs/design/0013-wal-blocking-fsync.md.
   */
  walBlockingSyncMaxMs: 1,
  /** Backend batch: commit after this many writes or this interval, whichever first. */
  backendBatchLimit: 10_000,
  backendBatchIntervalMs: 100,
  /** Raft: uncommitted proposals the leader accepts before dropping new ones. */
  raftInflightMessagesMax: 256,
  raftMessageBytesMax: 1024 * 1024,
} as const;
