import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  caHashOf, formatToken, generateTokenSecret, parseToken, TokenCaHashError, TokenFormatError, verifyCaHash,
} from './token.js';

// Vectors computed with coreutils: `sha256sum root-ca.pem` and
// `openssl x509 -in root-ca.pem -outform der | sha256sum` (the chain's root).
const ROOT_PEM = readFileSync(new URL('./testdata/root-ca.pem', import.meta.url));
const CHAIN_PEM = readFileSync(new URL('./testdata/chain-ca.pem', import.meta.url));
const ROOT_FILE_HASH = '6e82aaa0952218026f30f02599ff5735993e2fd93c362895ef44459cf853d462';
const ROOT_DER_HASH = '05f50f876915af645d09b4437573495da06fd08757b6e031426c08c80c672828';

test('CA hash: single certificate hashes the file bytes, a chain hashes the root DER', () => {
  assert.equal(caHashOf(ROOT_PEM), ROOT_FILE_HASH);
  assert.equal(caHashOf(ROOT_PEM.toString('utf8')), ROOT_FILE_HASH);
  assert.equal(caHashOf(CHAIN_PEM), ROOT_DER_HASH);
});

test('formatToken gives K10<hash>::server:<secret> and parses back', () => {
  const token = formatToken(ROOT_PEM, 'abc123');
  assert.equal(token, `K10${ROOT_FILE_HASH}::server:abc123`);
  assert.deepEqual(parseToken(token), { caHash: ROOT_FILE_HASH, username: 'server', password: 'abc123' });
  assert.equal(formatToken(ROOT_PEM, 'p', 'node'), `K10${ROOT_FILE_HASH}::node:p`);
  assert.throws(() => formatToken(ROOT_PEM, ''), TokenFormatError);
});

test('short tokens, user:password tokens and bootstrap tokens', () => {
  assert.deepEqual(parseToken('secret'), { username: '', password: 'secret' });
  assert.deepEqual(parseToken('K10::agent:pw'), { username: 'agent', password: 'pw' });
  assert.deepEqual(parseToken('abcdef.0123456789abcdef'),
    { username: '', password: '', bootstrapToken: 'abcdef.0123456789abcdef' });
  assert.deepEqual(parseToken(`K10${ROOT_FILE_HASH}::abcdef.0123456789abcdef`),
    { caHash: ROOT_FILE_HASH, username: '', password: '', bootstrapToken: 'abcdef.0123456789abcdef' });
});

test('malformed tokens are refused with K3s wording', () => {
  assert.throws(() => parseToken(''), { name: 'TokenFormatError', message: 'token must not be empty' });
  assert.throws(() => parseToken('K10abcd::server:pw'), { message: 'invalid token CA hash length' });
  assert.throws(() => parseToken(`K10${ROOT_FILE_HASH}::server:`), { message: 'invalid token format' });
  assert.throws(() => parseToken(`K10${ROOT_FILE_HASH}::nocolon`), { message: 'invalid token format' });
});

test('verifyCaHash pins the CA', () => {
  assert.equal(verifyCaHash(ROOT_PEM, `K10${ROOT_FILE_HASH}::server:x`), 'verified');
  assert.equal(verifyCaHash(ROOT_PEM, `K10${ROOT_FILE_HASH.toUpperCase()}::server:x`), 'verified');
  assert.equal(verifyCaHash(ROOT_PEM, 'x'), 'unpinned');
  assert.throws(() => verifyCaHash(CHAIN_PEM, `K10${ROOT_FILE_HASH}::server:x`), (error: unknown) => {
    assert.ok(error instanceof TokenCaHashError);
    assert.equal(error.message,
      `token CA hash does not match the Cluster CA certificate hash: ${ROOT_FILE_HASH} != ${ROOT_DER_HASH}`);
    return true;
  });
});

test('generated secrets are 32 hex chars and differ', () => {
  const a = generateTokenSecret();
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.notEqual(a, generateTokenSecret());
});
