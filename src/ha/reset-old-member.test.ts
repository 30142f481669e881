import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oldMemberRefusal, parsePeerMembers } from './reset-old-member.js';

const BIG_ID = 0xfedcba9876543210n;
const self = { memberId: BIG_ID, name: 's2', dataDir: '/var/lib/tetcd/s2' };

test('parses /members with 64-bit ids exactly', () => {
  const body = `{"clusterId":"abc","members":[{"id":${BIG_ID.toString()},"peerURLs":["http://a"],"name":"x"},` +
    '{"id":5,"peerURLs":["http://b"],"isLearner":true}]}';
  assert.deepEqual(parsePeerMembers('http://a', body), { peerUrl: 'http://a', clusterId: 0xabcn, memberIds: [BIG_ID, 5n] });
  assert.throws(() => parsePeerMembers('http://a', '{}'), /no cluster id/);
});

test('no answers, or peers that all list this member: start', () => {
  assert.equal(oldMemberRefusal(self, []), undefined);
  assert.equal(oldMemberRefusal(self, [{ peerUrl: 'u1', clusterId: 1n, memberIds: [1n, BIG_ID] },
    { peerUrl: 'u2', clusterId: 1n, memberIds: [BIG_ID] }]), undefined);
});

test('a reachable peer that no longer lists this member refuses it with what to do', () => {
  const message = oldMemberRefusal(self, [{ peerUrl: 'u1', clusterId: 1n, memberIds: [1n, BIG_ID] },
    { peerUrl: 'https://10.0.0.1:2380', clusterId: 0x42n, memberIds: [1n] }]);
  assert.ok(message !== undefined);
  assert.match(message, /member s2 \(fedcba9876543210\) has data from an old cluster/);
  assert.match(message, /https:\/\/10\.0\.0\.1:2380 \(cluster 42\)/);
  assert.match(message, /Back up and delete \/var\/lib\/tetcd\/s2, then rejoin/);
});
