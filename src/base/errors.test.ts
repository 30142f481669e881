import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_TABLE, EtcdError, GrpcStatus, etcdError, isEtcdError } from './errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const statusNames = Object.fromEntries(Object.entries(GrpcStatus).map(([k, v]) => [v, k]));

test('every error code is documented in docs/errors.md with its exact message', () => {
  for (const [code, [message]] of Object.entries(ERROR_TABLE)) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    assert.ok(row, `docs/errors.md lacks ${code}`);
    assert.ok(row.includes(`\`${message}\``), `docs/errors.md has a different message for ${code}`);
  }
});

test('every documented code exists in the table', () => {
  const documented = [...doc.matchAll(/^\| `(ERR_[A-Z_]+)` \| `/gm)].map((m) => m[1]!);
  for (const code of documented) assert.ok(code in ERROR_TABLE, `docs/errors.md documents unknown ${code}`);
  assert.equal(documented.length, Object.keys(ERROR_TABLE).length);
});

test('documented gRPC status matches the table', () => {
  for (const [code, [, status]] of Object.entries(ERROR_TABLE)) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`))!;
    assert.ok(row.endsWith(`(${status}) |`), `${code}: expected status ${statusNames[status]} (${status}) in ${row}`);
  }
});

test('EtcdError carries code, message and status', () => {
  const error = etcdError('ERR_COMPACTED');
  assert.ok(error instanceof EtcdError);
  assert.equal(error.message, 'etcdserver: mvcc: required revision has been compacted');
  assert.equal(error.grpcStatus, GrpcStatus.OUT_OF_RANGE);
  assert.ok(isEtcdError(error, 'ERR_COMPACTED'));
  assert.ok(!isEtcdError(error, 'ERR_FUTURE_REV'));
});

test('messages are unique so clients can tell errors apart', () => {
  const messages = Object.values(ERROR_TABLE).map(([m]) => m);
  assert.equal(new Set(messages).size, messages.length);
});
