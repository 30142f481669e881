/**
 * The status builder: turns one member's raw readings (StatusInputs, gathered by collect.ts) into the
 * DashboardStatus JSON. Pure and synchronous, so it is unit-tested without a server.
 */
import { formatIdHex } from '../base/ids.js';
import { ETCD_SERVER_VERSION, TETCD_VERSION } from '../base/version.js';
import { alarmName } from '../server/alarms.js';
import { histogramQuantile, type HistogramBucket } from './quantile.js';
import {
  DASHBOARD_STATUS_SCHEMA, type DashboardAlarm, type DashboardId, type DashboardMember, type DashboardStatus,
} from './status-types.js';

/** The latency quantile the page shows for WAL fsync and backend commit. */
export const LATENCY_QUANTILE = 0.99;

/** A member as membership reports it. */
export interface MemberInput {
  id: bigint;
  name: string;
  peerUrls: readonly string[];
  clientUrls: readonly string[];
  isLearner: boolean;
}

/** Everything one status answer is built from, read from the member in one synchronous turn. */
export interface StatusInputs {
  nowMs: number;
  memberId: bigint;
  clusterId: bigint;
  /** 0n: no leader. */
  leaderId: bigint;
  isLeader: boolean;
  isLearner: boolean;
  members: readonly MemberInput[];
  raft: { term: number; index: number; committedIndex: number; appliedIndex: number };
  store: { revision: number; compactRevision: number; keysTotal: number };
  db: { sizeBytes: number; sizeInUseBytes: number; quotaBytes: number };
  alarms: ReadonlyArray<{ memberId: bigint; alarm: number }>;
  pendingProposals: number;
  proposalsFailed: number;
  leaderChanges: number;
  walFsync: readonly HistogramBucket[];
  backendCommit: readonly HistogramBucket[];
  leases: number;
  /** undefined: the member does not report its watcher count. */
  watchers: number | undefined;
  /** Open Watch streams (started minus handled Watch RPCs). */
  watchStreams: number;
  rpc: { started: number; handled: number; failed: number };
  /** Peer reachability by hex member id, as the transport's prober last saw it. */
  peerActive: ReadonlyMap<string, boolean>;
  /** Auth or client-certificate auth is on: leave member URLs out. */
  restricted: boolean;
}

function idOf(id: bigint): DashboardId {
  const unsigned = BigInt.asUintN(64, id);
  return { id: unsigned.toString(10), idHex: formatIdHex(unsigned) };
}

function memberOf(input: StatusInputs, m: MemberInput): DashboardMember {
  const self = m.id === input.memberId;
  const probed = input.peerActive.get(formatIdHex(m.id));
  const member: DashboardMember = {
    ...idOf(m.id), name: m.name, isLearner: m.isLearner, isLeader: m.id === input.leaderId && input.leaderId !== 0n,
    isSelf: self, reachable: self ? true : probed ?? null,
  };
  if (!input.restricted) {
    member.peerUrls = [...m.peerUrls];
    member.clientUrls = [...m.clientUrls];
  }
  return member;
}

/** /health's verdict without its read check: alarms first, then the leader. */
function healthOf(input: StatusInputs, alarms: readonly DashboardAlarm[]): DashboardStatus['health'] {
  const first = alarms[0];
  if (first !== undefined) return { ok: false, reason: `ALARM ${first.alarm}` };
  if (input.leaderId === 0n) return { ok: false, reason: 'RAFT NO LEADER' };
  return { ok: true, reason: '' };
}

function quantileOrNull(buckets: readonly HistogramBucket[]): number | null {
  return histogramQuantile(LATENCY_QUANTILE, buckets) ?? null;
}

/** Observations in a cumulative histogram (its +Inf bucket, or the highest bucket). */
function countOf(buckets: readonly HistogramBucket[]): number {
  return buckets.reduce((max, b) => Math.max(max, b.count), 0);
}

/**
 * Builds the status answer. Members are listed in id order.
 * @throws AssertionError (from histogramQuantile) if a histogram is not cumulative.
 */
export function buildStatus(input: StatusInputs): DashboardStatus {
  const alarms = input.alarms.map((a) => ({ ...idOf(a.memberId), alarm: alarmName(a.alarm) }));
  const self = input.members.find((m) => m.id === input.memberId);
  const members = [...input.members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const { quotaBytes, sizeBytes } = input.db;
  return {
    schema: DASHBOARD_STATUS_SCHEMA,
    timeMs: input.nowMs,
    version: { etcd: ETCD_SERVER_VERSION, tetcd: TETCD_VERSION },
    restricted: input.restricted,
    cluster: idOf(input.clusterId),
    member: { ...idOf(input.memberId), name: self?.name ?? '', isLeader: input.isLeader, isLearner: input.isLearner },
    leader: input.leaderId === 0n ? null : idOf(input.leaderId),
    health: healthOf(input, alarms),
    members: members.map((m) => memberOf(input, m)),
    raft: { ...input.raft },
    // The store reports -1 before its first compaction; the status shows 0 (never compacted).
    store: { ...input.store, compactRevision: Math.max(0, input.store.compactRevision) },
    db: { ...input.db, usedFraction: quotaBytes > 0 ? sizeBytes / quotaBytes : 0 },
    alarms,
    proposals: { committed: input.raft.committedIndex, applied: input.raft.appliedIndex,
      pending: input.pendingProposals, failed: input.proposalsFailed },
    leaderChanges: input.leaderChanges,
    disk: {
      walFsyncP99Seconds: quantileOrNull(input.walFsync), backendCommitP99Seconds: quantileOrNull(input.backendCommit),
      walFsyncCount: countOf(input.walFsync), backendCommitCount: countOf(input.backendCommit),
    },
    leases: { count: input.leases },
    watch: { watchers: input.watchers ?? null, streams: input.watchStreams },
    rpc: { ...input.rpc },
  };
}
