import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdMetrics } from './etcd-metrics.js';
import type { MetricsSource } from './hooks.js';
import { approxMessageBytes, PeerProber } from './peer-accounting.js';

/**
 * Every metric Grafana dashboard 3070 ("etcd by Prometheus", the JSON etcd ships as
 * Documentation/op-guide/grafana.json) queries, with the label values its queries filter on.
 */
const DASHBOARD_3070_METRICS = [
  'etcd_server_has_leader',
  'grpc_server_started_total{grpc_type="unary"}',
  'grpc_server_handled_total{grpc_type="unary"}',
  'grpc_server_started_total{grpc_service="etcdserverpb.Watch",grpc_type="bidi_stream"}',
  'grpc_server_handled_total{grpc_service="etcdserverpb.Watch",grpc_type="bidi_stream"}',
  'grpc_server_started_total{grpc_service="etcdserverpb.Lease",grpc_type="bidi_stream"}',
  'grpc_server_handled_total{grpc_service="etcdserverpb.Lease",grpc_type="bidi_stream"}',
  'etcd_debugging_mvcc_db_total_size_in_bytes',
  'etcd_disk_wal_fsync_duration_seconds_bucket',
  'etcd_disk_backend_commit_duration_seconds_bucket',
  'process_resident_memory_bytes',
  'etcd_network_client_grpc_received_bytes_total',
  'etcd_network_client_grpc_sent_bytes_total',
  'etcd_network_peer_received_bytes_total',
  'etcd_network_peer_sent_bytes_total',
  'etcd_server_proposals_failed_total',
  'etcd_server_proposals_pending',
  'etcd_server_proposals_committed_total',
  'etcd_server_proposals_applied_total',
  'etcd_server_leader_changes_seen_total',
];

const SOURCE: MetricsSource = {
  hasLeader: () => true, isLeader: () => true, isLearner: () => false, committedIndex: () => 7,
  appliedIndex: () => 6, pendingProposals: () => 1, quotaBytes: () => 2 ** 31, dbSizeBytes: () => 4096,
  dbSizeInUseBytes: () => 2048, currentRevision: () => 5, compactRevision: () => -1, keysTotal: () => 3,
  memberIdHex: () => '8e9e05c52164694d',
};

/** Parses exposition text into sample lines `name{labels} value` (labels sorted as printed). */
function samples(text: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

/** A sample of `name` whose labels include every `k="v"` of the selector. */
function hasSample(lines: string[], selector: string): boolean {
  const match = /^([a-z_]+)(?:\{(.*)\})?$/.exec(selector)!;
  const wanted = match[2] === undefined ? [] : match[2].split(',');
  return lines.some((line) => {
    const name = /^[a-z_]+/.exec(line)?.[0];
    if (name !== match[1]) return false;
    return wanted.every((label) => line.includes(label));
  });
}

function metricsWithTraffic(): EtcdMetrics {
  const metrics = new EtcdMetrics();
  metrics.bindSource(SOURCE);
  for (const method of ['Range', 'Put']) metrics.methodRegistered('etcdserverpb.KV', method, 'unary');
  metrics.methodRegistered('etcdserverpb.Watch', 'Watch', 'bidi_stream');
  metrics.methodRegistered('etcdserverpb.Lease', 'LeaseKeepAlive', 'bidi_stream');
  metrics.walFsyncMs(2);
  metrics.backendCommitMs(3);
  metrics.peerSentBytes('2', 100);
  metrics.peerReceivedBytes('2', 100);
  return metrics;
}

test('every metric dashboard 3070 queries is exported', async () => {
  const lines = samples(await metricsWithTraffic().render());
  const missing = DASHBOARD_3070_METRICS.filter((selector) => !hasSample(lines, selector));
  assert.deepEqual(missing, []);
});

test('types, help texts and buckets match etcd 3.4', async () => {
  const text = await metricsWithTraffic().render();
  assert.match(text, new RegExp('# HELP etcd_server_has_leader Whether or not a leader exists\\. 1 is existence, ' +
    '0 is not\\.\n# TYPE etcd_server_has_leader gauge'));
  assert.match(text, /# TYPE etcd_server_proposals_committed_total gauge/);
  assert.match(text, /# TYPE etcd_server_leader_changes_seen_total counter/);
  assert.match(text, /# HELP etcd_disk_wal_fsync_duration_seconds The latency distributions of fsync called by WAL\./);
  const fsyncBuckets = [...text.matchAll(/etcd_disk_wal_fsync_duration_seconds_bucket\{le="([^"]+)"\}/g)]
    .map((m) => m[1]);
  assert.deepEqual(fsyncBuckets, ['0.001', '0.002', '0.004', '0.008', '0.016', '0.032', '0.064', '0.128', '0.256',
    '0.512', '1.024', '2.048', '4.096', '8.192', '+Inf']);
  assert.match(text, /etcd_disk_wal_fsync_duration_seconds_bucket\{le="0\.002"\} 1\n/);
  assert.match(text, /etcd_server_id\{server_id="8e9e05c52164694d"\} 1/);
  assert.match(text, /etcd_cluster_version\{cluster_version="3\.5"\} 1/);
  assert.match(text, /etcd_server_proposals_committed_total 7\n/);
  assert.match(text, /etcd_mvcc_db_total_size_in_use_in_bytes 2048\n/);
  assert.ok(text.includes('grpc_server_handled_total{grpc_type="unary",grpc_service="etcdserverpb.KV",' +
    'grpc_method="Range",grpc_code="Unavailable"} 0'));
});

test('gRPC counters: started, handled by code name, bytes; handling histogram only when extensive', async () => {
  const basic = new EtcdMetrics({ processMetrics: false });
  basic.started('etcdserverpb.KV', 'Put', 'unary');
  basic.handled('etcdserverpb.KV', 'Put', 'unary', 14, 5);
  basic.receivedBytes(10);
  const text = await basic.render();
  assert.match(text, /grpc_server_started_total\{[^}]*grpc_method="Put"\} 1/);
  assert.match(text, /grpc_server_handled_total\{[^}]*grpc_method="Put",grpc_code="Unavailable"\} 1/);
  assert.match(text, /etcd_network_client_grpc_received_bytes_total 10/);
  assert.match(text, /etcd_server_client_requests_total\{type="unary",client_api_version="3\.5"\} 1/);
  assert.doesNotMatch(text, /grpc_server_handling_seconds/);
  const extensive = new EtcdMetrics({ level: 'extensive', processMetrics: false });
  extensive.handled('etcdserverpb.KV', 'Put', 'unary', 0, 5);
  assert.match(await extensive.render(), /grpc_server_handling_seconds_count\{[^}]*grpc_method="Put"\} 1/);
});

test('two members in one process keep separate registries', async () => {
  const a = new EtcdMetrics();
  const b = new EtcdMetrics();
  a.leaderChanged();
  a.leaderChanged();
  b.leaderChanged();
  assert.match(await a.render(), /etcd_server_leader_changes_seen_total 2\n/);
  assert.match(await b.render(), /etcd_server_leader_changes_seen_total 1\n/);
});

test('peer accounting: message size estimate and the prober (rtt, active peers)', async () => {
  assert.equal(approxMessageBytes({ entries: [], context: new Uint8Array(0) }), 48);
  assert.equal(approxMessageBytes({ entries: [{ data: new Uint8Array(100) }], context: new Uint8Array(2) }), 174);
  const metrics = new EtcdMetrics({ processMetrics: false });
  let active = true;
  const probed: string[] = [];
  const prober = new PeerProber(1n, metrics.peerHooks(), () => [{
    id: 2n, activeForMs: () => (active ? 10 : undefined),
    probe: () => { probed.push('2'); return Promise.resolve(); },
  }], 60_000);
  prober.round();
  await new Promise((resolve) => setImmediate(resolve));
  active = false;
  prober.round();
  await new Promise((resolve) => setImmediate(resolve));
  prober.stop();
  const text = await metrics.render();
  assert.equal(probed.length, 2);
  assert.match(text, /etcd_network_peer_round_trip_time_seconds_count\{To="2"\} 2/);
  assert.match(text, /etcd_network_active_peers\{Local="1",Remote="2"\} 0/);
  assert.match(text, /etcd_network_disconnected_peers_total\{Local="1",Remote="2"\} 1/);
});
