import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeClusterId, computeMemberId } from './member-ids.js';

test('member id of etcd defaults matches etcd (8e9e05c52164694d)', () => {
  const id = computeMemberId(['http://localhost:2380'], 'etcd-cluster');
  assert.equal(id.toString(16), '8e9e05c52164694d');
});

test('cluster id of the default single-member cluster matches etcd (cdf818194e3a8c32)', () => {
  const id = computeMemberId(['http://localhost:2380'], 'etcd-cluster');
  assert.equal(computeClusterId([id]).toString(16), 'cdf818194e3a8c32');
});

test('peer URL order does not change the member id', () => {
  const a = computeMemberId(['http://b:2380', 'http://a:2380'], 't');
  const b = computeMemberId(['http://a:2380', 'http://b:2380'], 't');
  assert.equal(a, b);
});
