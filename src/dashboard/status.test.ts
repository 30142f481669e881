import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlarmType } from '../proto/gen/etcdserverpb.js';
import { buildStatus, type StatusInputs } from './status.js';
import { DASHBOARD_STATUS_SCHEMA } from './status-types.js';

const SELF = 0x8e9e05c52164694dn;
const OTHER = 0xfd422379fda50e48n;
const LEARNER = 0x91bc3c398fb3c146n;
/** An id above 2^63: must come out unsigned and exact. */
const CLUSTER = 0xcdf818194e3a8c32n;

function inputs(overrides: Partial<StatusInputs> = {}): StatusInputs {
  return {
    nowMs: 1_700_000_000_000, memberId: SELF, clusterId: CLUSTER, leaderId: OTHER, isLeader: false, isLearner: false,
    members: [
      { id: OTHER, name: 'm2', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['http://127.0.0.1:2379'], isLearner: false },
      { id: SELF, name: 'm1', peerUrls: ['http://127.0.0.1:12380'], clientUrls: ['http://127.0.0.1:12379'], isLearner: false },
      { id: LEARNER, name: '', peerUrls: ['http://127.0.0.1:22380'], clientUrls: [], isLearner: true },
    ],
    raft: { term: 3, index: 40, committedIndex: 40, appliedIndex: 39 },
    store: { revision: 17, compactRevision: 5, keysTotal: 12 },
    db: { sizeBytes: 1024 * 1024, sizeInUseBytes: 512 * 1024, quotaBytes: 4 * 1024 * 1024 },
    alarms: [], pendingProposals: 2, proposalsFailed: 1, leaderChanges: 4,
    walFsync: [{ le: 0.001, count: 90 }, { le: 0.002, count: 100 }, { le: Infinity, count: 100 }],
    backendCommit: [], leases: 3, watchers: undefined, watchStreams: 1,
    rpc: { started: 100, handled: 99, failed: 2 },
    peerActive: new Map([[OTHER.toString(16), true], [LEARNER.toString(16), false]]),
    restricted: false, ...overrides,
  };
}

test('ids are unsigned decimal strings with their hex; members sorted by id with roles and reachability', () => {
  const status = buildStatus(inputs());
  assert.equal(status.schema, DASHBOARD_STATUS_SCHEMA);
  assert.deepEqual(status.cluster, { id: CLUSTER.toString(10), idHex: 'cdf818194e3a8c32' });
  assert.equal(status.cluster.id, '14841639068965178418');
  assert.deepEqual(status.member, { id: SELF.toString(10), idHex: '8e9e05c52164694d', name: 'm1', isLeader: false,
    isLearner: false });
  assert.deepEqual(status.leader, { id: OTHER.toString(10), idHex: 'fd422379fda50e48' });
  assert.deepEqual(status.members.map((m) => [m.name, m.isSelf, m.isLeader, m.isLearner, m.reachable]), [
    ['m1', true, false, false, true], ['', false, false, true, false], ['m2', false, true, false, true]]);
  assert.deepEqual(status.members[2]!.clientUrls, ['http://127.0.0.1:2379']);
  assert.deepEqual(status.health, { ok: true, reason: '' });
});

test('numbers: raft, store, db fraction, proposals, p99 from the histogram, rpc, watch', () => {
  const status = buildStatus(inputs());
  assert.deepEqual(status.raft, { term: 3, index: 40, committedIndex: 40, appliedIndex: 39 });
  assert.deepEqual(status.store, { revision: 17, compactRevision: 5, keysTotal: 12 });
  assert.equal(status.db.usedFraction, 0.25);
  assert.deepEqual(status.proposals, { committed: 40, applied: 39, pending: 2, failed: 1 });
  assert.equal(status.leaderChanges, 4);
  assert.ok(Math.abs(status.disk.walFsyncP99Seconds! - 0.0019) < 1e-12);
  assert.equal(status.disk.walFsyncCount, 100);
  assert.equal(status.disk.backendCommitP99Seconds, null);
  assert.equal(status.disk.backendCommitCount, 0);
  assert.deepEqual(status.watch, { watchers: null, streams: 1 });
  assert.deepEqual(buildStatus(inputs({ watchers: 7 })).watch, { watchers: 7, streams: 1 });
  assert.deepEqual(status.rpc, { started: 100, handled: 99, failed: 2 });
  assert.equal(status.leases.count, 3);
  assert.equal(buildStatus(inputs({ db: { sizeBytes: 1, sizeInUseBytes: 1, quotaBytes: 0 } })).db.usedFraction, 0);
});

test('alarms by name, health reasons as /health (alarm before leader)', () => {
  const status = buildStatus(inputs({ leaderId: 0n, alarms: [{ memberId: SELF, alarm: AlarmType.NOSPACE },
    { memberId: OTHER, alarm: AlarmType.CORRUPT }] }));
  assert.deepEqual(status.alarms.map((a) => [a.idHex, a.alarm]), [['8e9e05c52164694d', 'NOSPACE'],
    ['fd422379fda50e48', 'CORRUPT']]);
  assert.deepEqual(status.health, { ok: false, reason: 'ALARM NOSPACE' });
  assert.equal(status.leader, null);
  assert.ok(status.members.every((m) => !m.isLeader));
  assert.deepEqual(buildStatus(inputs({ leaderId: 0n })).health, { ok: false, reason: 'RAFT NO LEADER' });
});

test('restricted: no member URLs; never keys or values in any mode', () => {
  const status = buildStatus(inputs({ restricted: true }));
  assert.equal(status.restricted, true);
  for (const member of status.members) {
    assert.equal(member.peerUrls, undefined);
    assert.equal(member.clientUrls, undefined);
  }
  const text = JSON.stringify(status);
  assert.ok(!text.includes('127.0.0.1'), text);
  assert.deepEqual(Object.keys(status).sort(), ['alarms', 'cluster', 'db', 'disk', 'health', 'leader', 'leaderChanges',
    'leases', 'member', 'members', 'proposals', 'raft', 'restricted', 'rpc', 'schema', 'store', 'timeMs', 'version',
    'watch'].sort());
});

test('a learner answering: member flags and unknown reachability of unprobed peers', () => {
  const status = buildStatus(inputs({ memberId: LEARNER, isLearner: true, peerActive: new Map() }));
  assert.equal(status.member.isLearner, true);
  assert.equal(status.member.name, '');
  assert.deepEqual(status.members.map((m) => m.reachable), [null, true, null]);
});
