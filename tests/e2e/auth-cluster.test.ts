/**
 * Auth on a 3-member cluster (subject only; E2E_SUBJECT=etcd runs it on real etcd): users, roles and
 * the enabled flag are applied through raft, so every member answers alike; a simple token issued
 * through one member works on another (that member catches up before looking the token up); a
 * permission change made through one member is enforced by all.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { AuthenticateRequest, PutRequest, RangeRequest } from '../../src/proto/gen/etcdserverpb.js';
import { AuthService, KVService } from '../../src/proto/services.js';
import { Cluster } from '../helpers/cluster.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { subjectKind } from '../helpers/oracle.js';

let cluster: Cluster | undefined;
after(async () => {
  await cluster?.cleanup();
});

async function ctl(endpoint: string, args: string[]): Promise<string> {
  const result = await runEtcdctl(endpoint, args);
  return `${result.stdout}${result.stderr.split('\n').filter((l) => l.startsWith('Error')).join('\n')}`;
}

type Callback = (error: grpc.ServiceError | null, response?: unknown) => void;
type GenericClient = grpc.Client &
  Record<string, (request: unknown, metadata: grpc.Metadata, callback: Callback) => void>;

function call(client: GenericClient, method: string, request: unknown,
  metadata = new grpc.Metadata()): Promise<unknown> {
  return new Promise((resolve, reject) => {
    client[method]!(request, metadata, (error, response) => (error !== null ? reject(error) : resolve(response)));
  });
}

test('auth state is replicated; tokens from one member work on another', async () => {
  cluster = await Cluster.start({ kind: subjectKind(), size: 3, extraArgs: ['--bcrypt-cost', '4'] });
  const [a, b, c] = cluster.members.map((m) => m.endpoint) as [string, string, string];
  for (const args of [
    ['user', 'add', 'root', '--new-user-password=rootpw'], ['user', 'grant-role', 'root', 'root'],
    ['user', 'add', 'alice', '--new-user-password=apw'], ['role', 'add', 'app'],
    ['role', 'grant-permission', 'app', 'readwrite', '/a/', '--prefix'], ['user', 'grant-role', 'alice', 'app'],
    ['auth', 'enable'], ['--user', 'alice:apw', 'put', '/a/x', '1'],
  ]) {
    const result = await runEtcdctl(a, args);
    assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`);
  }
  for (const endpoint of [a, b, c]) {
    assert.equal(await ctl(endpoint, ['--user', 'root:rootpw', 'user', 'list']), 'alice\nroot\n', endpoint);
    assert.equal(await ctl(endpoint, ['--user', 'alice:apw', 'get', '/a/x', '--print-value-only']), '1\n', endpoint);
    assert.equal(await ctl(endpoint, ['--user', 'alice:apw', 'put', '/b', '1']), 'Error: etcdserver: permission denied',
      endpoint);
    assert.equal(await ctl(endpoint, ['get', '/a/x']), 'Error: etcdserver: user name is empty', endpoint);
  }

  const auth = new (grpc.makeGenericClientConstructor(AuthService, 'Auth'))(b, grpc.credentials.createInsecure()) as
    GenericClient;
  const kv = new (grpc.makeGenericClientConstructor(KVService, 'KV'))(c, grpc.credentials.createInsecure()) as GenericClient;
  try {
    const { token } = await call(auth, 'authenticate', AuthenticateRequest.create({ name: 'alice', password: 'apw' })) as
      { token: string };
    const metadata = new grpc.Metadata();
    metadata.set('token', token);
    const range = await call(kv, 'range', RangeRequest.create({ key: Buffer.from('/a/x') }), metadata) as
      { kvs: Array<{ value: Uint8Array }> };
    assert.equal(Buffer.from(range.kvs[0]!.value).toString(), '1', 'a token from member b works on member c');
    await assert.rejects(call(kv, 'put', PutRequest.create({ key: Buffer.from('/b'), value: Buffer.from('x') }), metadata),
      /permission denied/);
    const revoked = await runEtcdctl(a, ['--user', 'root:rootpw', 'role', 'revoke-permission', 'app', '/a/', '--prefix']);
    assert.equal(revoked.exitCode, 0, revoked.stderr);
    for (const endpoint of [a, b, c]) {
      assert.equal(await ctl(endpoint, ['--user', 'alice:apw', 'get', '/a/x']), 'Error: etcdserver: permission denied',
        endpoint);
    }
  } finally {
    auth.close();
    kv.close();
  }
});
