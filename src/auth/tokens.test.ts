import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtTokenProvider } from './jwt-token.js';
import { SimpleTokenProvider } from './simple-token.js';
import { createTokenProvider, parseGoDurationMs } from './token-options.js';
import { UnifiedPermissions } from './range-perms.js';
import { Permission, Permission_Type, Role } from '../proto/gen/authpb.js';

const CONTEXT = { index: 42, simpleTokenPrefix: 'abcdefghijklmnop' };

test('simple tokens: <16 letters>.<index>, renewed on use, expire after the TTL idle', () => {
  let now = 1000;
  const tokens = new SimpleTokenProvider(300_000, () => now);
  tokens.enable();
  try {
    assert.match(tokens.genTokenPrefix(), /^[a-zA-Z]{16}$/);
    const token = tokens.assign('alice', 5, CONTEXT);
    assert.equal(token, 'abcdefghijklmnop.42');
    assert.equal(SimpleTokenProvider.indexOf(token), 42);
    assert.deepEqual(tokens.info(token, 9), { username: 'alice', revision: 9 });
    now += 299_000;
    assert.ok(tokens.info(token, 9), 'a use within the TTL renews it');
    now += 299_000;
    assert.ok(tokens.info(token, 9));
    now += 300_000;
    assert.equal(tokens.info(token, 9), undefined, 'idle for the TTL: expired');
    const other = tokens.assign('bob', 5, { ...CONTEXT, index: 43 });
    tokens.invalidateUser('bob');
    assert.equal(tokens.info(other, 9), undefined);
  } finally {
    tokens.disable();
  }
});

test('simple tokens are not recorded while auth is disabled', () => {
  const tokens = new SimpleTokenProvider(1000);
  const token = tokens.assign('alice', 1, CONTEXT);
  assert.equal(tokens.info(token, 1), undefined);
});

function withKeys(run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-jwt-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Key pairs are generated once per file (1024-bit RSA keeps the test fast; it only exercises the code). */
const KEYS = {
  rsa: generateKeyPairSync('rsa', { modulusLength: 1024 }),
  ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
};

function writePair(dir: string, type: 'rsa' | 'ec'): { pub: string; priv: string } {
  const { publicKey, privateKey } = KEYS[type];
  const pub = join(dir, `${type}.pub`);
  const priv = join(dir, `${type}.key`);
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { pub, priv };
}

test('JWT tokens sign and verify with RS, PS, ES and HS methods; tampering and expiry are rejected', () => {
  withKeys((dir) => {
    const rsa = writePair(dir, 'rsa');
    const ec = writePair(dir, 'ec');
    const secret = join(dir, 'hmac');
    writeFileSync(secret, 'a-shared-secret');
    const cases = [['RS256', rsa], ['PS384', rsa], ['ES256', ec], ['HS512', { pub: secret, priv: secret }]] as const;
    for (const [method, keys] of cases) {
      let now = 1_700_000_000_000;
      const options = { signMethod: method, pubKeyPath: keys.pub, privKeyPath: keys.priv, ttlMs: 60_000 };
      const jwt = new JwtTokenProvider(options, () => now);
      const token = jwt.assign('alice', 7, CONTEXT);
      const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
      assert.deepEqual(header, { alg: method, typ: 'JWT' });
      assert.deepEqual(payload, { exp: 1_700_000_060, revision: 7, username: 'alice' });
      assert.deepEqual(jwt.info(token, 99), { username: 'alice', revision: 7 }, method);
      const forged = token.split('.');
      forged[1] = Buffer.from(JSON.stringify({ ...payload, username: 'root' })).toString('base64url');
      assert.equal(jwt.info(forged.join('.'), 99), undefined, `${method}: forged claims accepted`);
      now += 60_000;
      assert.equal(jwt.info(token, 99), undefined, `${method}: expired token accepted`);
    }
    const verifyOnly = new JwtTokenProvider({ signMethod: 'RS256', pubKeyPath: rsa.pub, ttlMs: 1000 });
    assert.throws(() => verifyOnly.assign('alice', 1, CONTEXT), /verify-only/);
  });
});

test('--auth-token parsing', () => {
  assert.equal(createTokenProvider('simple', 1000).kind, 'simple');
  assert.throws(() => createTokenProvider('bogus', 1000), /invalid auth options/);
  assert.throws(() => createTokenProvider('jwt,sign-method', 1000), /invalid auth options/);
  assert.throws(() => createTokenProvider('jwt,sign-method=XX256', 1000), /invalid auth signature method/);
  withKeys((dir) => {
    const rsa = writePair(dir, 'rsa');
    const jwt = createTokenProvider(`jwt,pub-key=${rsa.pub},priv-key=${rsa.priv},sign-method=RS256,ttl=10m`, 1000);
    assert.equal(jwt.kind, 'jwt');
  });
  assert.equal(parseGoDurationMs('5m'), 300_000);
  assert.equal(parseGoDurationMs('1h30m'), 5_400_000);
  assert.throws(() => parseGoDurationMs('5x'));
});

const perm = (type: Permission_Type, key: string, end: string): Permission =>
  Permission.create({ permType: type, key: Buffer.from(key), rangeEnd: Buffer.from(end) });
const bytes = (text: string): Uint8Array => Buffer.from(text);

test('range permissions merge across roles and cover keys, prefixes and open ends', () => {
  const perms = new UnifiedPermissions([
    Role.create({ name: bytes('r1'), keyPermission: [perm(Permission_Type.READWRITE, '/a/', '/a0'),
      perm(Permission_Type.READ, '/k', '')] }),
    Role.create({ name: bytes('r2'), keyPermission: [perm(Permission_Type.READ, '/a0', '/b'), perm(Permission_Type.WRITE, '/z', '\0')] }),
  ]);
  const R = Permission_Type.READ;
  const W = Permission_Type.WRITE;
  assert.ok(perms.permits(bytes('/a/x'), new Uint8Array(0), R));
  assert.ok(perms.permits(bytes('/a/x'), new Uint8Array(0), W));
  assert.ok(perms.permits(bytes('/a/'), bytes('/b'), R), 'two adjacent intervals merge');
  assert.ok(!perms.permits(bytes('/a/'), bytes('/b'), W));
  assert.ok(!perms.permits(bytes('/a/'), bytes('/b\0'), R));
  assert.ok(perms.permits(bytes('/k'), new Uint8Array(0), R));
  assert.ok(!perms.permits(bytes('/k'), bytes('/l'), R), 'a single-key permission is not a range');
  assert.ok(!perms.permits(bytes('/k0'), new Uint8Array(0), R));
  assert.ok(perms.permits(bytes('/zz'), Uint8Array.of(0), W), 'open-ended request inside an open-ended permission');
  assert.ok(perms.permits(bytes('/z'), bytes('\xff'), W));
  assert.ok(!perms.permits(bytes('/y'), Uint8Array.of(0), W));
  assert.ok(!perms.permits(new Uint8Array(0), Uint8Array.of(0), R));
});
