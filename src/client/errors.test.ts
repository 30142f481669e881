import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GrpcStatus } from '../base/errors.js';
import { EtcdClientError, toClientError } from './errors.js';

test('grpc errors keep code and etcd message; known messages get the stable code', () => {
  const grpcError = Object.assign(new Error('9 FAILED_PRECONDITION: x'), {
    code: GrpcStatus.OUT_OF_RANGE, details: 'etcdserver: mvcc: required revision has been compacted' });
  const error = toClientError(grpcError, '/etcdserverpb.KV/Range', '127.0.0.1:2379');
  assert.ok(error instanceof EtcdClientError);
  assert.equal(error.grpcCode, GrpcStatus.OUT_OF_RANGE);
  assert.equal(error.message, 'etcdserver: mvcc: required revision has been compacted');
  assert.equal(error.etcdCode, 'ERR_COMPACTED');
  assert.equal(error.method, '/etcdserverpb.KV/Range');
  assert.equal(error.endpoint, '127.0.0.1:2379');
  assert.equal(error.cause, grpcError);
});

test('unknown shapes map to UNKNOWN and keep the text', () => {
  const error = toClientError('boom', 'm', 'e');
  assert.equal(error.grpcCode, GrpcStatus.UNKNOWN);
  assert.equal(error.message, 'boom');
  assert.equal(error.etcdCode, undefined);
  assert.equal(toClientError(error, 'x', 'y'), error);
});
