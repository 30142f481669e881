import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pb from '../../../proto/gen/etcdserverpb.js';
import { leaseGrantJson, leaseTimeToLiveJson, rangeJson, statusJson } from './json-encode.js';

const header = pb.ResponseHeader.create({
  clusterId: 0xfedcba9876543210n, memberId: 0x8e9e05c52164694dn, revision: 3, raftTerm: 2,
});

test('64-bit ids are exact bare numbers; omitempty drops zero fields', () => {
  const json = rangeJson(pb.RangeResponse.create({ header, count: 0 }));
  assert.equal(json, '{"header":{"cluster_id":18364758544493064720,"member_id":10276657743932975437,"revision":3,"raft_term":2}}');
  const status = statusJson(pb.StatusResponse.create({ header, version: '3.5.0', leader: 0x8e9e05c52164694dn, isLearner: false }));
  assert.match(status, /"leader":10276657743932975437}$/);
});

test('clientv3 lease structs flatten the header and keep non-omitempty fields', () => {
  assert.equal(leaseGrantJson(pb.LeaseGrantResponse.create({ header, ID: 7n, TTL: 10 })),
    '{"cluster_id":18364758544493064720,"member_id":10276657743932975437,"revision":3,"raft_term":2,"ID":7,"TTL":10,"Error":""}');
  assert.match(leaseTimeToLiveJson(pb.LeaseTimeToLiveResponse.create({ ID: 1n, TTL: -1 })), /"keys":null}$/);
});
