// Service definitions: method paths/keys/stream flags match etcd, and a live grpc-js round trip on
// 127.0.0.1 using the generated codecs on both ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { ALL_SERVICES, KVService, WatchService } from './services.js';
import {
  RangeRequest, RangeResponse, ResponseHeader, WatchRequest, WatchResponse, WatchCreateRequest,
} from './gen/etcdserverpb.js';
import { KeyValue } from './gen/mvccpb.js';

/** etcd 3.5 client-port services: method → [requestStream, responseStream]. */
const ETCD_METHODS: Record<string, Record<string, [boolean, boolean]>> = {
  'etcdserverpb.KV': { Range: [false, false], Put: [false, false], DeleteRange: [false, false], Txn: [false, false],
    Compact: [false, false] },
  'etcdserverpb.Watch': { Watch: [true, true] },
  'etcdserverpb.Lease': { LeaseGrant: [false, false], LeaseRevoke: [false, false], LeaseKeepAlive: [true, true],
    LeaseTimeToLive: [false, false], LeaseLeases: [false, false] },
  'etcdserverpb.Cluster': { MemberAdd: [false, false], MemberRemove: [false, false], MemberUpdate: [false, false],
    MemberList: [false, false], MemberPromote: [false, false] },
  'etcdserverpb.Maintenance': { Alarm: [false, false], Status: [false, false], Defragment: [false, false],
    Hash: [false, false], HashKV: [false, false], Snapshot: [false, true], MoveLeader: [false, false],
    Downgrade: [false, false] },
  'etcdserverpb.Auth': Object.fromEntries(['AuthEnable', 'AuthDisable', 'AuthStatus', 'Authenticate', 'UserAdd',
    'UserGet', 'UserList', 'UserDelete', 'UserChangePassword', 'UserGrantRole', 'UserRevokeRole', 'RoleAdd', 'RoleGet',
    'RoleList', 'RoleDelete', 'RoleGrantPermission', 'RoleRevokePermission'].map((m) => [m, [false, false]])),
  'v3lockpb.Lock': { Lock: [false, false], Unlock: [false, false] },
  'v3electionpb.Election': { Campaign: [false, false], Proclaim: [false, false], Leader: [false, false],
    Observe: [false, true], Resign: [false, false] },
  'grpc.health.v1.Health': { Check: [false, false], Watch: [false, true] },
};

test('every service method has etcd\'s path, lowerCamel key and stream flags', () => {
  assert.deepStrictEqual(ALL_SERVICES.map(([name]) => name), Object.keys(ETCD_METHODS));
  for (const [name, definition] of ALL_SERVICES) {
    const expected = ETCD_METHODS[name]!;
    assert.deepStrictEqual(Object.values(definition).map((m) => m.originalName), Object.keys(expected), name);
    for (const [key, method] of Object.entries(definition)) {
      const original = method.originalName!;
      assert.equal(key, original[0]!.toLowerCase() + original.slice(1));
      assert.equal(method.path, `/${name}/${original}`);
      assert.deepStrictEqual([method.requestStream, method.responseStream], expected[original], method.path);
    }
  }
  assert.ok('hashKV' in ALL_SERVICES[4]![1] && 'deleteRange' in KVService && 'leaseKeepAlive' in ALL_SERVICES[2]![1]);
});

test('serialize returns a Buffer and round-trips', () => {
  const request = RangeRequest.create({ key: new Uint8Array([0x61]), limit: 10 });
  const buffer = KVService.range!.requestSerialize(request);
  assert.ok(Buffer.isBuffer(buffer));
  assert.deepStrictEqual(KVService.range!.requestDeserialize(buffer), request);
});

test('live grpc-js unary and bidi-stream calls on 127.0.0.1', async () => {
  const server = new grpc.Server();
  server.addService(KVService, {
    range: (call: grpc.ServerUnaryCall<RangeRequest, RangeResponse>, callback: grpc.sendUnaryData<RangeResponse>) => {
      const kv = KeyValue.create({ key: call.request.key, value: new Uint8Array([1, 2, 3]), lease: 2n ** 63n - 1n });
      const header = ResponseHeader.create({ memberId: 2n ** 64n - 1n });
      callback(null, RangeResponse.create({ header, kvs: [kv], count: 1 }));
    },
  });
  server.addService(WatchService, {
    watch: (call: grpc.ServerDuplexStream<WatchRequest, WatchResponse>) => {
      call.on('data', (request: WatchRequest) => {
        call.write(WatchResponse.create({ watchId: request.createRequest?.watchId ?? -1, created: true }));
        call.end();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      (error ? reject(error) : resolve(bound)));
  });
  try {
    const KVClient = grpc.makeGenericClientConstructor(KVService, 'KV');
    const WatchClient = grpc.makeGenericClientConstructor(WatchService, 'Watch');
    const kv = new KVClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const watch = new WatchClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const response = await new Promise<RangeResponse>((resolve, reject) => {
      (kv as unknown as { range: (r: RangeRequest, cb: (e: Error | null, v: RangeResponse) => void) => void })
        .range(RangeRequest.create({ key: new Uint8Array([0x6b]) }),
          (error, value) => (error ? reject(error) : resolve(value)));
    });
    assert.equal(response.header!.memberId, 2n ** 64n - 1n);
    assert.deepStrictEqual(response.kvs[0]!.key, new Uint8Array([0x6b]));
    assert.equal(response.kvs[0]!.lease, 2n ** 63n - 1n);
    const stream = (watch as unknown as { watch: () => grpc.ClientDuplexStream<WatchRequest, WatchResponse> }).watch();
    const first = new Promise<WatchResponse>((resolve) => stream.once('data', resolve));
    const createRequest = WatchCreateRequest.create({ key: new Uint8Array([1]), watchId: 42 });
    stream.write(WatchRequest.create({ createRequest }));
    assert.equal((await first).watchId, 42);
    stream.end();
    kv.close();
    watch.close();
  } finally {
    server.forceShutdown();
  }
});
