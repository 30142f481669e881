import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Compare, Compare_CompareTarget, PutRequest, RangeRequest, RangeRequest_SortOrder, RangeResponse, ResponseHeader,
  TxnRequest,
} from '../../proto/gen/etcdserverpb.js';
import { GatewayJsonError, messageFromJson, messageToJson } from './json-codec.js';
import { JsonValueSplitter } from './json-stream.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('responses: proto names, int64 as strings, base64 bytes, defaults omitted', () => {
  const response = RangeResponse.create({
    header: ResponseHeader.create({ clusterId: 15118495548433857066n, memberId: 1n, revision: 3, raftTerm: 2 }),
    kvs: [{ key: enc('foo'), value: enc('bar'), createRevision: 3, modRevision: 3, version: 1, lease: 0n }],
    count: 1,
  });
  assert.deepEqual(messageToJson('etcdserverpb.RangeResponse', response), {
    header: { cluster_id: '15118495548433857066', member_id: '1', revision: '3', raft_term: '2' },
    kvs: [{ key: 'Zm9v', create_revision: '3', mod_revision: '3', version: '1', value: 'YmFy' }],
    count: '1',
  });
});

test('requests: both name styles, enums by name or number, strings or numbers for int64', () => {
  const request = messageFromJson('etcdserverpb.RangeRequest',
    { key: 'Zm9v', range_end: 'Zm9w', sortOrder: 'DESCEND', limit: '5', revision: 2, keys_only: true });
  const expected = RangeRequest.create({ key: enc('foo'), rangeEnd: enc('fop'), limit: 5, revision: 2, keysOnly: true,
    sortOrder: RangeRequest_SortOrder.DESCEND });
  assert.deepEqual(RangeRequest.encode(request as never), RangeRequest.encode(expected));
  const put = messageFromJson('etcdserverpb.PutRequest', { key: 'YQ==', lease: '7587862080357351434' });
  assert.equal((put as { lease: bigint }).lease, 7587862080357351434n);
  assert.deepEqual(PutRequest.decode(PutRequest.encode(put as never)).lease, 7587862080357351434n);
});

test('oneof members stay unset unless given (a txn compare encodes)', () => {
  const txn = messageFromJson('etcdserverpb.TxnRequest', {
    compare: [{ target: 'CREATE', key: 'Zm9v', create_revision: '0' }],
    success: [{ request_put: { key: 'Zm9v', value: 'YmFy' } }],
  });
  const decoded = TxnRequest.decode(TxnRequest.encode(txn as never));
  assert.equal(decoded.compare[0]!.target, Compare_CompareTarget.CREATE);
  assert.equal(decoded.compare[0]!.createRevision, 0);
  assert.equal(decoded.compare[0]!.version, undefined);
  assert.deepEqual(decoded.success[0]!.requestPut!.value, enc('bar'));
  assert.deepEqual(messageToJson('etcdserverpb.Compare', Compare.create({ target: Compare_CompareTarget.CREATE,
    key: enc('a'), createRevision: 0 })), { target: 'CREATE', key: 'YQ==', create_revision: '0' });
});

test('bad input is a GatewayJsonError with grpc-gateway wording', () => {
  const bad = (type: string, json: unknown, message: RegExp): void => {
    assert.throws(() => messageFromJson(type, json),
      (e: unknown) => e instanceof GatewayJsonError && message.test(e.message));
  };
  bad('etcdserverpb.RangeRequest', { key: '!!' }, /^illegal base64 data at input byte 0$/);
  bad('etcdserverpb.RangeRequest', { sort_order: 'BOGUS' }, /^unknown value "BOGUS" for enum etcdserverpb\.RangeRequest_SortOrder$/);
  bad('etcdserverpb.RangeRequest', { limit: 'x' }, /cannot unmarshal string into Go value of type int64/);
  bad('etcdserverpb.RangeRequest', { keys_only: 'yes' }, /type bool/);
  bad('etcdserverpb.RangeRequest', [], /cannot unmarshal array/);
  assert.deepEqual(messageFromJson('etcdserverpb.RangeRequest', { unknown_field: 1 })['key'], new Uint8Array(0));
});

test('the stream splitter yields whole JSON values across chunk boundaries', () => {
  const splitter = new JsonValueSplitter();
  assert.deepEqual(splitter.push('{"a":"}{"}{"b"'), ['{"a":"}{"}']);
  assert.deepEqual(splitter.push(':[1,{"c":2}]}\n{"d":"\\""}'), ['{"b":[1,{"c":2}]}', '{"d":"\\""}']);
  assert.equal(splitter.rest(), '');
});
