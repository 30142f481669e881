import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pb from '../../../proto/gen/etcdserverpb.js';
import { CtlExit } from '../errors.js';
import { argify, parseCompare, parseRequestOp } from './txn-parse.js';
import { DEL_FLAGS, GET_FLAGS, PUT_FLAGS } from './kv.js';
import { prefixRangeEnd } from './kv-options.js';

const dec = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);
const FLAGS = { get: GET_FLAGS, put: PUT_FLAGS, del: DEL_FLAGS };

test('parseCompare builds each target', () => {
  const mod = parseCompare('mod("k") > "5"');
  assert.equal(mod.target, pb.Compare_CompareTarget.MOD);
  assert.equal(mod.result, pb.Compare_CompareResult.GREATER);
  assert.equal(mod.modRevision, 5);
  assert.equal(dec(mod.key), 'k');
  const val = parseCompare('value("a b") != "x\\ty"');
  assert.equal(val.result, pb.Compare_CompareResult.NOT_EQUAL);
  assert.equal(dec(val.value), 'x\ty');
  assert.equal(parseCompare('ver("k") = "0"').version, 0);
  assert.equal(parseCompare('c("k") < "3"').createRevision, 3);
});

test('parseCompare errors use etcdctl texts and exit code 3', () => {
  const expect = (line: string, text: string): void => {
    assert.throws(() => parseCompare(line), (e: unknown) => e instanceof CtlExit && e.code === 3 && e.text === text);
  };
  expect('nope', 'malformed comparison: nope');
  expect('bad("k") = "x"', 'malformed comparison: bad("k") = "x" (unknown target bad)');
  expect('mod(k) > "0"', 'malformed comparison: mod(k) > "0"; got mod("")  ""');
  expect('mod("k") > 0', 'malformed comparison: mod("k") > 0; got mod("k") > ""');
  expect('mod("k") > "x"', 'invalid txn compare request: mod("k") > "x"');
});

test('argify and request lines', () => {
  assert.deepEqual(argify('put "b c" "d\\"e" plain'), ['put', 'b c', 'd"e', 'plain']);
  const put = parseRequestOp('put --prev-kv k v', FLAGS);
  assert.equal(dec(put.requestPut?.key), 'k');
  assert.equal(put.requestPut?.prevKv, true);
  const get = parseRequestOp('get --prefix foo', FLAGS);
  assert.equal(dec(get.requestRange?.rangeEnd), 'fop');
  const del = parseRequestOp('del a c', FLAGS);
  assert.equal(dec(del.requestDeleteRange?.rangeEnd), 'c');
  assert.throws(() => parseRequestOp('foo a', FLAGS), (e: unknown) => e instanceof CtlExit && e.text === 'invalid txn request: foo a');
  assert.throws(() => parseRequestOp('foo', FLAGS), (e: unknown) => e instanceof CtlExit && e.text === 'invalid txn compare request: foo');
});

test('prefixRangeEnd follows clientv3', () => {
  assert.deepEqual([...prefixRangeEnd(new Uint8Array([0x61, 0xff]))], [0x62]);
  assert.deepEqual([...prefixRangeEnd(new Uint8Array([0xff]))], [0]);
});
