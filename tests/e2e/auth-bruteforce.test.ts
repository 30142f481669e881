/**
 * Brute force against tetcd: 1,000 concurrent Authenticate calls with wrong passwords must all fail
 * with etcd's "authentication failed" error, never yield a token, and must not slow another client's
 * reads by more than 2x (password checks run in bcrypt worker threads, off the event loop). The
 * server runs with --bcrypt-cost 4 so the flood lasts seconds, not minutes; the cost does not change
 * where the work runs. Latency is compared as medians of sequential linearizable reads before and
 * during the flood, with a 1 ms floor under the baseline (timer and scheduling noise on a busy host).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  AuthEnableRequest, AuthenticateRequest, AuthUserAddRequest, AuthUserGrantRoleRequest, PutRequest, RangeRequest,
} from '../../src/proto/gen/etcdserverpb.js';
import { AuthService, KVService } from '../../src/proto/services.js';
import { subjectKind } from '../helpers/oracle.js';
import { ServerProcess } from '../helpers/server.js';

const ATTEMPTS = 1000;
const BASELINE_SAMPLES = 60;
const DURING_SAMPLES_MIN = 20;
const LATENCY_FLOOR_MS = 1;
const CALL_TIMEOUT_MS = 120_000;

type Callback = (error: grpc.ServiceError | null, response?: unknown) => void;
type GenericClient = grpc.Client & Record<string, (request: unknown, metadata: grpc.Metadata,
  options: grpc.CallOptions, callback: Callback) => void>;

const AuthClient = grpc.makeGenericClientConstructor(AuthService, 'Auth');
const KvClient = grpc.makeGenericClientConstructor(KVService, 'KV');
/** Separate connections for the attacker and the measured client. */
const CHANNEL_OPTIONS = { 'grpc.use_local_subchannel_pool': 1 };

let server: ServerProcess | undefined;

before(async () => {
  server = await ServerProcess.start({ kind: subjectKind(), name: 'bruteforce', extraArgs: ['--bcrypt-cost', '4'] });
});

after(async () => {
  await server?.cleanup();
});

function call(client: GenericClient, method: string, request: unknown,
  metadata = new grpc.Metadata()): Promise<unknown> {
  return new Promise((resolve, reject) => {
    client[method]!(request, metadata, { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) => {
      if (error !== null) reject(error);
      else resolve(response);
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

test('1,000 wrong passwords never authenticate and do not slow other clients down more than 2x', async () => {
  const endpoint = server!.endpoint;
  const admin = new AuthClient(endpoint, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as GenericClient;
  const attacker = new AuthClient(endpoint, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as GenericClient;
  const reader = new KvClient(endpoint, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as GenericClient;
  try {
    await call(admin, 'userAdd', AuthUserAddRequest.create({ name: 'root', password: 'rootpw' }));
    await call(admin, 'userGrantRole', AuthUserGrantRoleRequest.create({ user: 'root', role: 'root' }));
    await call(admin, 'authEnable', AuthEnableRequest.create());
    const { token } = await call(admin, 'authenticate', AuthenticateRequest.create({ name: 'root', password: 'rootpw' })) as
      { token: string };
    const metadata = new grpc.Metadata();
    metadata.set('token', token);
    await call(reader, 'put', PutRequest.create({ key: Buffer.from('k'), value: Buffer.from('v') }), metadata);
    const read = async (): Promise<number> => {
      const started = performance.now();
      await call(reader, 'range', RangeRequest.create({ key: Buffer.from('k') }), metadata);
      return performance.now() - started;
    };
    for (let i = 0; i < 10; i++) await read(); // warm-up
    const baseline: number[] = [];
    for (let i = 0; i < BASELINE_SAMPLES; i++) baseline.push(await read());

    let flooding = true;
    const attempts = Array.from({ length: ATTEMPTS }, (_, i) =>
      call(attacker, 'authenticate', AuthenticateRequest.create({ name: 'root', password: `guess-${i}` })).then(
        () => 'authenticated', (error: grpc.ServiceError) => error.details));
    const flood = Promise.all(attempts).finally(() => { flooding = false; });
    const during: number[] = [];
    while (flooding) during.push(await read());
    const outcomes = await flood;

    const counts = new Map<string, number>();
    for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    assert.deepEqual([...counts], [['etcdserver: authentication failed, invalid user ID or password', ATTEMPTS]]);
    const baseMs = median(baseline);
    const duringMs = median(during);
    console.log(`reads: baseline median ${baseMs.toFixed(2)} ms (${baseline.length}), ` +
      `during the flood ${duringMs.toFixed(2)} ms (${during.length})`);
    assert.ok(during.length >= DURING_SAMPLES_MIN, `only ${during.length} reads during the flood`);
    assert.ok(duringMs <= 2 * Math.max(baseMs, LATENCY_FLOOR_MS),
      `reads slowed from ${baseMs.toFixed(2)} ms to ${duringMs.toFixed(2)} ms`);
    // The right password still works after the flood.
    const again = await call(admin, 'authenticate', AuthenticateRequest.create({ name: 'root', password: 'rootpw' }));
    assert.match((again as { token: string }).token, /^[a-zA-Z]{16}\.\d+$/);
  } finally {
    admin.close();
    attacker.close();
    reader.close();
  }
});
