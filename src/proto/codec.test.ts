// Round-trips every generated message with seeded random values and cross-checks bytes and decoding
// against protobufjs (reflection over the same .proto files). Replay with SEED=<n>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/random.js';
import { codecFor, loadSchema } from './testing/schema.js';
import { randomMessage } from './testing/random.js';
import { fromPbjs, loadPbjsRoot, toPbjs } from './testing/pbjs.js';

const seed = process.env.SEED !== undefined ? Number(process.env.SEED) : Math.floor(Math.random() * 2 ** 31);
console.log('SEED=' + seed);
const ITERATIONS_PER_MESSAGE = 12;

const schema = loadSchema();
const root = loadPbjsRoot();

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

test('schema covers the etcd client API', () => {
  for (const name of ['etcdserverpb.RangeRequest', 'etcdserverpb.WatchResponse', 'etcdserverpb.LeaseGrantRequest',
    'etcdserverpb.StatusResponse', 'etcdserverpb.InternalRaftRequest', 'mvccpb.Event', 'authpb.Role',
    'raftpb.Message', 'v3lockpb.LockRequest', 'v3electionpb.LeaderKey', 'grpc.health.v1.HealthCheckResponse']) {
    assert.ok(schema.has(name), name);
  }
  assert.ok(schema.size > 120, `only ${schema.size} messages`);
});

test('every message: random round trip, identical bytes to protobufjs, decodes protobufjs output', () => {
  const random = new SeededRandom(seed);
  for (const fullName of [...schema.keys()].sort()) {
    const codec = codecFor(fullName);
    const type = root.lookupType(fullName);
    for (let i = 0; i < ITERATIONS_PER_MESSAGE; i++) {
      const message = randomMessage(schema, fullName, random);
      const bytes = codec.encode(message);
      assert.deepStrictEqual(codec.decode(bytes), message, `${fullName} round trip (seed ${seed}, iteration ${i})`);
      const theirs = type.encode(toPbjs(schema, fullName, message)).finish();
      assert.equal(hex(bytes), hex(theirs), `${fullName} bytes differ from protobufjs (seed ${seed}, iteration ${i})`);
      const decodedByThem = type.decode(bytes) as unknown as Record<string, unknown>;
      assert.deepStrictEqual(fromPbjs(schema, fullName, decodedByThem), message, `${fullName} protobufjs decode`);
    }
  }
});

test('create() fills every field with its default and applies init', () => {
  const random = new SeededRandom(seed);
  for (const fullName of schema.keys()) {
    const codec = codecFor(fullName);
    const empty = codec.create();
    assert.equal(codec.encode(empty).length, 0, `${fullName} default encodes to nothing`);
    assert.deepStrictEqual(codec.decode(new Uint8Array(0)), empty, `${fullName} decode(empty) = create()`);
    const message = randomMessage(schema, fullName, random);
    assert.deepStrictEqual(codec.create(message), message, `${fullName} create(init)`);
  }
});
