/**
 * Gathers one member's StatusInputs: server state read directly, counters and histograms read from the
 * member's own Prometheus registry (prom-client's `get()`; no text rendering). Nothing here waits on
 * raft or disk: the only await is prom-client's collect of two gauges.
 */
import type { Registry } from 'prom-client';
import type { EtcdServer } from '../server/etcd-server.js';
import { dashboardHooks } from './hooks.js';
import type { HistogramBucket } from './quantile.js';
import type { StatusInputs } from './status.js';

const WATCH_METHOD = 'Watch';
const GRPC_OK = 'OK';

interface MetricValue { value: number; labels: Record<string, string | number | undefined>; metricName?: string }

async function valuesOf(registry: Registry, name: string): Promise<MetricValue[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return [];
  return (await metric.get()).values as MetricValue[];
}

function sum(values: readonly MetricValue[], keep: (v: MetricValue) => boolean = () => true): number {
  let total = 0;
  for (const v of values) if (keep(v)) total += v.value;
  return total;
}

/** The `_bucket` series of an unlabelled histogram as cumulative buckets. */
function bucketsOf(values: readonly MetricValue[]): HistogramBucket[] {
  return values.filter((v) => v.metricName?.endsWith('_bucket') === true)
    .map((v) => ({ le: v.labels['le'] === '+Inf' ? Infinity : Number(v.labels['le']), count: v.value }));
}

/** Peer reachability from etcd_network_active_peers{Local,Remote} (hex ids). */
function peerActivity(values: readonly MetricValue[], selfHex: string): Map<string, boolean> {
  const active = new Map<string, boolean>();
  for (const v of values) {
    if (v.labels['Local'] === selfHex) active.set(String(v.labels['Remote']), v.value === 1);
  }
  return active;
}

/** In-use bytes walk LMDB's page stats: kept while nothing was applied and the file size is the same. */
const IN_USE_MAX_AGE_MS = 5000;
const inUseCache = new WeakMap<object, { applied: number; sizeBytes: number; atMs: number; inUse: number }>();

function inUseBytes(server: EtcdServer, nowMs: number): number {
  const applied = server.appliedIndex();
  const sizeBytes = server.backendSizeBytes();
  const cached = inUseCache.get(server);
  if (cached !== undefined && cached.applied === applied && cached.sizeBytes === sizeBytes &&
    nowMs - cached.atMs < IN_USE_MAX_AGE_MS && nowMs >= cached.atMs) return cached.inUse;
  const inUse = server.backendSizeInUseBytes();
  inUseCache.set(server, { applied, sizeBytes, atMs: nowMs, inUse });
  return inUse;
}

/** Totals of grpc_server_handled_total in one pass (it has a series per method and code). */
function handledTotals(values: readonly MetricValue[]): { handled: number; failed: number; watch: number } {
  let handled = 0;
  let failed = 0;
  let watch = 0;
  for (const v of values) {
    handled += v.value;
    if (v.value === 0) continue;
    if (v.labels['grpc_code'] !== GRPC_OK) failed += v.value;
    if (v.labels['grpc_method'] === WATCH_METHOD) watch += v.value;
  }
  return { handled, failed, watch };
}

const METRIC_NAMES = [
  'etcd_server_proposals_committed_total', 'etcd_server_proposals_pending', 'etcd_server_proposals_failed_total',
  'etcd_server_leader_changes_seen_total', 'etcd_disk_wal_fsync_duration_seconds',
  'etcd_disk_backend_commit_duration_seconds', 'etcd_network_active_peers', 'grpc_server_started_total',
  'grpc_server_handled_total',
] as const;

/** Reads everything one status answer needs from `server`. Never throws for a running server. */
export async function collectInputs(server: EtcdServer, nowMs: number): Promise<StatusInputs> {
  const registry = server.metrics.registry;
  const values: MetricValue[][] = [];
  for (const name of METRIC_NAMES) values.push(await valuesOf(registry, name));
  const [committed, pending, failed, leaderChanges, walFsync, backendCommit, activePeers, started, handledValues] =
    values as [MetricValue[], MetricValue[], MetricValue[], MetricValue[], MetricValue[], MetricValue[], MetricValue[],
      MetricValue[], MetricValue[]];
  const handled = handledTotals(handledValues);
  const hooks = dashboardHooks(server);
  return {
    nowMs, memberId: server.memberId, clusterId: server.clusterId, leaderId: server.leaderId(),
    isLeader: server.isLeader(), isLearner: server.isLearner(), members: server.memberList(),
    raft: { term: server.raftTerm(), index: server.raftIndex(), committedIndex: sum(committed),
      appliedIndex: server.appliedIndex() },
    store: { revision: server.store.currentRevision(), compactRevision: server.store.compactRevision(),
      keysTotal: server.keysTotal() },
    db: { sizeBytes: server.backendSizeBytes(), sizeInUseBytes: inUseBytes(server, nowMs),
      quotaBytes: server.quotaBytes() },
    alarms: server.alarms.list().map((a) => ({ memberId: a.memberID, alarm: a.alarm })),
    pendingProposals: sum(pending), proposalsFailed: sum(failed), leaderChanges: sum(leaderChanges),
    walFsync: bucketsOf(walFsync), backendCommit: bucketsOf(backendCommit),
    leases: server.leases.lessor.size,
    watchers: hooks.watchers?.(),
    watchStreams: Math.max(0, sum(started, (v) => v.labels['grpc_method'] === WATCH_METHOD) - handled.watch),
    rpc: { started: sum(started), handled: handled.handled, failed: handled.failed },
    peerActive: peerActivity(activePeers, server.memberIdHex()),
    restricted: server.auth.isEnabled() || hooks.clientCertAuth === true,
  };
}
