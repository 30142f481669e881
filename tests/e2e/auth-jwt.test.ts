/**
 * JWT tokens (`--auth-token jwt,pub-key=...,priv-key=...,sign-method=RS256,ttl=...`) on real etcd 3.4
 * and on tetcd: the same etcdctl sequence gives the same results, and tetcd's token is a JWT whose
 * signature verifies with the public key and whose claims are etcd's (username, revision, exp). A
 * token made stale by an auth change is refused with ErrAuthOldRevision.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  AuthenticateRequest, AuthRoleAddRequest, PutRequest,
} from '../../src/proto/gen/etcdserverpb.js';
import { AuthService, KVService } from '../../src/proto/services.js';
import { requireOracleBinaries } from '../helpers/binaries.js';
import { compareEtcdctl, subjectKind, type OraclePair } from '../helpers/oracle.js';
import { ServerProcess } from '../helpers/server.js';

const keyDir = mkdtempSync(join(tmpdir(), 'tetcd-jwt-e2e-'));
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pubPath = join(keyDir, 'jwt.pub');
const privPath = join(keyDir, 'jwt.key');
writeFileSync(pubPath, publicKey.export({ type: 'spki', format: 'pem' }));
writeFileSync(privPath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
const AUTH_TOKEN = `jwt,pub-key=${pubPath},priv-key=${privPath},sign-method=RS256,ttl=10m`;
const ROOT = ['--user', 'root:rootpw'];

let pair: OraclePair | undefined;

before(async () => {
  requireOracleBinaries();
  const extraArgs = ['--bcrypt-cost', '4', '--auth-token', AUTH_TOKEN];
  const [oracle, subject] = await Promise.all([
    ServerProcess.start({ kind: 'etcd', name: 'oracle', extraArgs }),
    ServerProcess.start({ kind: subjectKind(), name: 'subject', extraArgs }),
  ]);
  pair = { oracle, subject };
});

after(async () => {
  if (pair !== undefined) await Promise.all([pair.oracle.cleanup(), pair.subject.cleanup()]);
  rmSync(keyDir, { recursive: true, force: true });
});

test('etcdctl with JWT tokens behaves as on etcd', async () => {
  const steps = [
    ['user', 'add', 'root', '--new-user-password=rootpw'],
    ['user', 'grant-role', 'root', 'root'],
    ['auth', 'enable'],
    [...ROOT, 'put', 'k', 'v'],
    [...ROOT, 'get', 'k'],
    ['--user', 'root:bad', 'get', 'k'],
    ['get', 'k'],
    [...ROOT, 'auth', 'disable'],
  ];
  const mismatches: string[] = [];
  for (const args of steps) {
    const result = await compareEtcdctl(pair!, args);
    if (result.mismatch !== undefined) mismatches.push(result.mismatch);
  }
  assert.equal(mismatches.length, 0, mismatches.join('\n\n'));
});

type Callback = (error: grpc.ServiceError | null, response?: unknown) => void;
type GenericClient = grpc.Client &
  Record<string, (request: unknown, metadata: grpc.Metadata, callback: Callback) => void>;

function call(client: GenericClient, method: string, request: unknown,
  metadata = new grpc.Metadata()): Promise<unknown> {
  return new Promise((resolve, reject) => {
    client[method]!(request, metadata, (error, response) => (error !== null ? reject(error) : resolve(response)));
  });
}

test('the token is an RS256 JWT with etcd claims; a stale revision is refused', async () => {
  const endpoint = pair!.subject.endpoint;
  const auth = new (grpc.makeGenericClientConstructor(AuthService, 'Auth'))(endpoint,
    grpc.credentials.createInsecure()) as GenericClient;
  const kv = new (grpc.makeGenericClientConstructor(KVService, 'KV'))(endpoint,
    grpc.credentials.createInsecure()) as GenericClient;
  try {
    const rootMeta = async (): Promise<grpc.Metadata> => {
      const { token } = await call(auth, 'authenticate', AuthenticateRequest.create({ name: 'root', password: 'rootpw' })) as
        { token: string };
      const metadata = new grpc.Metadata();
      metadata.set('token', token);
      return metadata;
    };
    const enableMeta = new grpc.Metadata();
    await call(auth, 'authEnable', {}, enableMeta);
    const metadata = await rootMeta();
    const token = metadata.get('token')[0] as string;
    const [header, payload, signature] = token.split('.') as [string, string, string];
    assert.ok(verify('sha256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url')));
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims['username'], 'root');
    assert.equal(typeof claims['revision'], 'number');
    assert.ok(typeof claims['exp'] === 'number' && claims['exp'] * 1000 > Date.now());
    await call(kv, 'put', PutRequest.create({ key: Buffer.from('a'), value: Buffer.from('1') }), metadata);
    await call(auth, 'roleAdd', AuthRoleAddRequest.create({ name: 'bump' }), metadata); // auth revision moves on
    await assert.rejects(call(kv, 'put', PutRequest.create({ key: Buffer.from('a'), value: Buffer.from('2') }), metadata),
      /revision of auth store is old/);
    await call(kv, 'put', PutRequest.create({ key: Buffer.from('a'), value: Buffer.from('3') }), await rootMeta());
  } finally {
    auth.close();
    kv.close();
  }
});
