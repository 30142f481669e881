/**
 * The JSON answer of `GET /dashboard/api/status` (documented field by field in docs/dashboard.md).
 * 64-bit ids are decimal strings (`id`) with their etcdctl hex form beside them (`idHex`); raft indexes,
 * terms, revisions, sizes and counters are JSON numbers. Never contains keys, values, lease ids or
 * user/role names.
 */

/** Bumped when a field changes meaning or disappears (adding fields keeps the version). */
export const DASHBOARD_STATUS_SCHEMA = 1;

export interface DashboardId {
  /** Decimal string (64-bit unsigned). */
  id: string;
  /** Lower-case hex without padding, as etcdctl and the logs print it. */
  idHex: string;
}

export interface DashboardMember extends DashboardId {
  name: string;
  /** Absent when the status is restricted (auth or client-certificate auth on). */
  peerUrls?: string[];
  clientUrls?: string[];
  isLearner: boolean;
  isLeader: boolean;
  /** The member answering this request. */
  isSelf: boolean;
  /** Whether this member's peer transport reaches it (true for itself; null: not probed yet). */
  reachable: boolean | null;
}

export interface DashboardAlarm extends DashboardId {
  /** "NOSPACE" or "CORRUPT". */
  alarm: string;
}

export interface DashboardStatus {
  schema: number;
  /** Unix time of the answer in ms (the page computes rates from consecutive answers). */
  timeMs: number;
  /** The etcd API version tetcd reports and tetcd's own version. */
  version: { etcd: string; tetcd: string };
  /** True when auth or client-certificate auth is on: member URLs are left out. */
  restricted: boolean;
  cluster: DashboardId;
  member: DashboardId & { name: string; isLeader: boolean; isLearner: boolean };
  /** The leader this member follows, or null without a leader. */
  leader: DashboardId | null;
  /** "ok" or the first reason as /health gives it (without its read check): "ALARM NOSPACE", "RAFT NO LEADER". */
  health: { ok: boolean; reason: string };
  members: DashboardMember[];
  raft: { term: number; index: number; committedIndex: number; appliedIndex: number };
  store: { revision: number; compactRevision: number; keysTotal: number };
  db: { sizeBytes: number; sizeInUseBytes: number; quotaBytes: number; usedFraction: number };
  alarms: DashboardAlarm[];
  proposals: { committed: number; applied: number; pending: number; failed: number };
  leaderChanges: number;
  disk: {
    /** p99 since the member started, from the histograms; null before the first observation. */
    walFsyncP99Seconds: number | null;
    backendCommitP99Seconds: number | null;
    walFsyncCount: number;
    backendCommitCount: number;
  };
  leases: { count: number };
  /** `watchers` is null where the member does not report it; `streams` are open Watch RPC streams. */
  watch: { watchers: number | null; streams: number };
  /** Cumulative gRPC counters (client port and JSON gateway); rates come from two answers. */
  rpc: { started: number; handled: number; failed: number };
}
