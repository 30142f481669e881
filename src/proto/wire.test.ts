// Hand-picked wire cases: 64-bit boundaries, packed/unpacked, unknown fields, oneof, malformed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssertionError } from '../base/assert.js';
import { SeededRandom } from '../base/random.js';
import { KeyValue, Event, Event_EventType } from './gen/mvccpb.js';
import {
  Compare, Compare_CompareResult, Compare_CompareTarget, Member, PutRequest, RangeRequest, RangeRequest_SortOrder,
  RangeResponse, RequestOp, ResponseHeader, TxnRequest, WatchCreateRequest, WatchCreateRequest_FilterType,
  WatchResponse, AlarmRequest, AlarmRequest_AlarmAction, AlarmType, LeaseCheckpoint, StatusResponse,
  InternalRaftRequest,
} from './gen/etcdserverpb.js';
import { Permission_Type } from './gen/authpb.js';
import { ConfState, Message } from './gen/raftpb.js';
import { DECODE_DEPTH_MAX, ProtoDecodeError, Writer, utf8Length } from './runtime.js';

const seed = process.env.SEED !== undefined ? Number(process.env.SEED) : Math.floor(Math.random() * 2 ** 31);
console.log('SEED=' + seed);

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

test('enum values are usable at runtime with etcd names', () => {
  assert.equal(RangeRequest_SortOrder.DESCEND, 2);
  assert.equal(Compare_CompareResult.EQUAL, 0);
  assert.equal(Compare_CompareResult.NOT_EQUAL, 3);
  assert.equal(Compare_CompareTarget.MOD, 2);
  assert.equal(Compare_CompareTarget.LEASE, 4);
  assert.equal(Event_EventType.DELETE, 1);
  assert.equal(AlarmType.NOSPACE, 1);
  assert.equal(AlarmRequest_AlarmAction.GET, 0);
  assert.equal(Permission_Type.READWRITE, 2);
  assert.equal(WatchCreateRequest_FilterType.NODELETE, 1);
});

test('64-bit boundaries: 2^64-1 member id, -1 watch id, negative revision, int64 min lease', () => {
  const header = ResponseHeader.create({
    clusterId: 2n ** 64n - 1n, memberId: 1n, revision: -5, raftTerm: 2 ** 53 - 1,
  });
  const headerBytes = ResponseHeader.encode(header);
  assert.equal(hex(headerBytes), '08ffffffffffffffffff01' + '1001' + '18fbffffffffffffffff01' + '20ffffffffffffff0f');
  assert.deepStrictEqual(ResponseHeader.decode(headerBytes), header);

  const watch = WatchResponse.create({ watchId: -1, canceled: true, cancelReason: 'x' });
  assert.equal(hex(WatchResponse.encode(watch)), '10ffffffffffffffffff01' + '2001' + '320178');
  assert.equal(WatchResponse.decode(WatchResponse.encode(watch)).watchId, -1);

  const member = Member.create({ ID: 2n ** 64n - 1n, peerURLs: ['http://127.0.0.1:2380'] });
  assert.equal(Member.decode(Member.encode(member)).ID, 18446744073709551615n);

  const kv = KeyValue.create({ key: fromHex('61'), lease: -(2n ** 63n) });
  assert.equal(KeyValue.decode(KeyValue.encode(kv)).lease, -(2n ** 63n));
  const put = PutRequest.create({ lease: 2n ** 63n - 1n });
  assert.equal(PutRequest.decode(PutRequest.encode(put)).lease, 2n ** 63n - 1n);

  const range = RangeRequest.create({ key: fromHex('00'), revision: -(2 ** 53 - 1) });
  assert.equal(RangeRequest.decode(RangeRequest.encode(range)).revision, -(2 ** 53 - 1));
  const checkpoint = LeaseCheckpoint.create({ remainingTTL: 7 });
  assert.equal(LeaseCheckpoint.decode(LeaseCheckpoint.encode(checkpoint)).remainingTTL, 7);
});

test('int64 beyond 2^53 as number: decode throws ProtoDecodeError, encode throws AssertionError', () => {
  // KeyValue.create_revision = 2^53 (field 2 varint).
  const w = new Writer();
  w.uint32(16);
  w.varint64(0, 0x200000);
  assert.throws(() => KeyValue.decode(w.finish()), ProtoDecodeError);
  // uint64 raftIndex = 2^64-1
  assert.throws(() => StatusResponse.decode(fromHex('28ffffffffffffffffff01')), ProtoDecodeError);
  // int64 revision = -2^53
  const n = new Writer();
  n.uint32(32);
  n.int64(-(2 ** 53) + 1);
  assert.equal(RangeRequest.decode(n.finish()).revision, -(2 ** 53) + 1);
  assert.throws(() => RangeRequest.decode(fromHex('20 8080808080808070ff01').subarray(0, 10)), ProtoDecodeError);
  assert.throws(() => RangeRequest.encode(RangeRequest.create({ revision: 2 ** 53 })), AssertionError);
  assert.throws(() => RangeRequest.encode(RangeRequest.create({ limit: 1.5 })), AssertionError);
  assert.throws(() => StatusResponse.encode(StatusResponse.create({ raftIndex: -1 })), AssertionError);
  assert.throws(() => PutRequest.encode(PutRequest.create({ lease: 2n ** 64n })), AssertionError);
});

test('repeated scalars: packed on encode, packed and unpacked accepted on decode', () => {
  const create = WatchCreateRequest.create({ filters: [WatchCreateRequest_FilterType.NOPUT, 1] });
  assert.equal(hex(WatchCreateRequest.encode(create)), '2a020001');
  assert.deepStrictEqual(WatchCreateRequest.decode(fromHex('2800 2801')).filters, [0, 1]);
  assert.deepStrictEqual(WatchCreateRequest.decode(fromHex('2800 2a0101 2800')).filters, [0, 1, 0]);

  const voters = [1n, 2n ** 64n - 1n, 300n];
  const conf = ConfState.create({ voters, autoLeave: true });
  const packed = ConfState.encode(conf);
  assert.equal(hex(packed), '0a0d' + '01' + 'ffffffffffffffffff01' + 'ac02' + '2801');
  const unpacked = fromHex('0801 08ffffffffffffffffff01 08ac02 2801');
  assert.deepStrictEqual(ConfState.decode(unpacked), conf);
  assert.throws(() => ConfState.decode(fromHex('0a0380')), ProtoDecodeError);
});

test('unknown fields of every wire type are skipped', () => {
  const kv = KeyValue.create({ key: fromHex('6b'), value: fromHex('76'), modRevision: 9 });
  const unknown = '' +
    '7801' + // field 15 varint
    '8101 0102030405060708' + // field 16 fixed64
    '8a01 03616263' + // field 17 len
    '9501 01020304' + // field 18 fixed32
    '9b01 0801 9c01'; // field 19 group containing field 1 varint
  const bytes = fromHex(hex(KeyValue.encode(kv)) + unknown);
  assert.deepStrictEqual(KeyValue.decode(bytes), kv);
  // A known field number with the wrong wire type is skipped, too.
  assert.deepStrictEqual(KeyValue.decode(fromHex('0d01020304')), KeyValue.create());
});

test('oneof: encode refuses two members, decode keeps the last one', () => {
  const cmp = Compare.create({ key: fromHex('61'), target: Compare_CompareTarget.VERSION, version: 0 });
  assert.equal(hex(Compare.encode(cmp)), '1a0161' + '2000', 'a set oneof member is written even when zero');
  assert.throws(() => Compare.encode(Compare.create({ version: 1, modRevision: 2 })), AssertionError);
  const both = fromHex('2001 3002');
  const decoded = Compare.decode(both);
  assert.equal(decoded.version, undefined);
  assert.equal(decoded.modRevision, 2);
  const op = RequestOp.decode(fromHex('0a00 1200'));
  assert.equal(op.requestRange, undefined);
  assert.deepStrictEqual(op.requestPut, PutRequest.create());
  const internal = InternalRaftRequest.create({ ID: 7n, put: PutRequest.create({ key: fromHex('61') }) });
  assert.deepStrictEqual(InternalRaftRequest.decode(InternalRaftRequest.encode(internal)), internal);
});

test('nested and long messages: length prefixes widen correctly', () => {
  const kvs = Array.from({ length: 100 }, (_, i) => KeyValue.create({
    key: new TextEncoder().encode(`key-${i}`), value: new Uint8Array(i * 3).fill(i), createRevision: i, modRevision: i,
    version: 1,
  }));
  const response = RangeResponse.create({ header: ResponseHeader.create({ revision: 100 }), kvs, count: 100 });
  assert.deepStrictEqual(RangeResponse.decode(RangeResponse.encode(response)), response);
  const event = Event.create({ type: Event_EventType.PUT, kv: KeyValue.create({ value: new Uint8Array(70000) }) });
  assert.deepStrictEqual(Event.decode(Event.encode(event)), event);
  const big = Event.create({ kv: KeyValue.create({ value: new Uint8Array(3 * 1024 * 1024).fill(7) }) });
  assert.equal(Event.decode(Event.encode(big)).kv!.value.length, 3 * 1024 * 1024);
  assert.equal(Event.encode(event).length, 1 + 3 + 1 + 3 + 70000, 'shared writer was reset after the big message');
});

test('strings: multi-byte, astral and lone surrogates', () => {
  for (const text of ['', 'a', 'é', '日本', '😀', 'a😀b'.repeat(30), 'ü'.repeat(50), 'x'.repeat(127), 'x'.repeat(128)]) {
    const message = AlarmRequest.create({ action: 1 });
    const status = StatusResponse.create({ version: text, errors: [text, 'b'] });
    assert.deepStrictEqual(StatusResponse.decode(StatusResponse.encode(status)), status);
    assert.equal(utf8Length(text), new TextEncoder().encode(text).length);
    assert.deepStrictEqual(AlarmRequest.decode(AlarmRequest.encode(message)), message);
  }
  const lone = StatusResponse.decode(StatusResponse.encode(StatusResponse.create({ version: 'a\ud800b' })));
  assert.equal(lone.version, 'a\ufffdb');
  assert.equal(utf8Length('\udc00'), 3);
});

test('bytes fields alias the input buffer (documented rule)', () => {
  const bytes = KeyValue.encode(KeyValue.create({ key: fromHex('6162') }));
  const decoded = KeyValue.decode(bytes);
  assert.equal(decoded.key.buffer, bytes.buffer);
  assert.equal(Object.getPrototypeOf(KeyValue.decode(Buffer.from(bytes)).key), Uint8Array.prototype);
});

test('malformed input throws ProtoDecodeError', () => {
  const cases = ['0a05616263', '08ffffffffffffffffffff01', '08', '12', 'a2', '0a02' + '0880', '00', '0f', '0b'];
  for (const text of cases) assert.throws(() => TxnRequest.decode(fromHex(text)), ProtoDecodeError, text);
  // A nested message whose body overruns its own length.
  assert.throws(() => Event.decode(fromHex('1202 0a05 6161616161')), ProtoDecodeError);
});

test('nesting deeper than DECODE_DEPTH_MAX is refused', () => {
  const nest = (levels: number): TxnRequest => {
    let txn = TxnRequest.create();
    for (let i = 0; i < levels; i++) txn = TxnRequest.create({ success: [RequestOp.create({ requestTxn: txn })] });
    return txn;
  };
  const ok = nest(DECODE_DEPTH_MAX / 2 - 1);
  assert.deepStrictEqual(TxnRequest.decode(TxnRequest.encode(ok)), ok);
  assert.throws(() => TxnRequest.decode(TxnRequest.encode(nest(DECODE_DEPTH_MAX))), ProtoDecodeError);
});

test('random garbage never throws anything but ProtoDecodeError', () => {
  const random = new SeededRandom(seed);
  const codecs = [TxnRequest, RangeResponse, WatchResponse, Message, ConfState, StatusResponse, InternalRaftRequest];
  for (let i = 0; i < 3000; i++) {
    const bytes = new Uint8Array(random.intBelow(40));
    for (let j = 0; j < bytes.length; j++) bytes[j] = random.intBelow(256);
    for (const codec of codecs) {
      try {
        codec.decode(bytes);
      } catch (error) {
        assert.ok(error instanceof ProtoDecodeError, `seed ${seed} iteration ${i}: ${String(error)}`);
      }
    }
  }
});
