import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HaFlagError, haOptionsFromFlags, joinRepeatedTlsSans } from './cluster-init-options.js';

const durationMs = (raw: string): number => (raw.endsWith('ms') ? Number(raw.slice(0, -2)) : Number(raw.slice(0, -1)) * 1000);
function options(flags: Record<string, string>, env: NodeJS.ProcessEnv = {}): ReturnType<typeof haOptionsFromFlags> {
  const values: Record<string, string> = { 'learner-promote-interval': '15s', ...flags };
  return haOptionsFromFlags((name) => values[name] ?? '', env, durationMs);
}

test('repeated --tls-san flags are joined into one value', () => {
  assert.deepEqual(joinRepeatedTlsSans(['--name', 'a', '--tls-san', 'x.test', '-tls-san=10.0.0.1', '--cluster-init']),
    ['--name', 'a', '--cluster-init', '--tls-san=x.test,10.0.0.1']);
  assert.deepEqual(joinRepeatedTlsSans(['--name', 'a']), ['--name', 'a']);
});

test('not HA without --cluster-init / --server / TETCD_URL', () => {
  assert.equal(options({ token: 'x' }), undefined);
});

test('init and join modes, env fallbacks, SAN list', () => {
  assert.deepEqual(options({ 'cluster-init': 'true', 'tls-san': 'a, b' }),
    { mode: 'init', serverUrl: '', token: '', tlsSans: ['a', 'b'], promoteIntervalMs: 15_000 });
  const join = options({ 'learner-promote-interval': '500ms' }, { TETCD_URL: 'https://h:2379', TETCD_TOKEN: 'K10::server:x' });
  assert.equal(join?.mode, 'join');
  assert.equal(join?.serverUrl, 'https://h:2379');
  assert.equal(join?.token, 'K10::server:x');
  assert.equal(join?.promoteIntervalMs, 500);
  assert.equal(options({ server: 'https://f:1', token: 'flag' }, { TETCD_URL: 'https://e:1', TETCD_TOKEN: 'env' })?.token, 'flag');
});

test('token file (flag or TETCD_TOKEN_FILE)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-ha-opt-'));
  try {
    const file = join(dir, 'token');
    writeFileSync(file, 'from-file\n');
    assert.equal(options({ server: 'https://h:1', 'token-file': file })?.token, 'from-file');
    assert.equal(options({ server: 'https://h:1' }, { TETCD_TOKEN_FILE: file })?.token, 'from-file');
    assert.throws(() => options({ server: 'https://h:1', 'token-file': join(dir, 'missing') }), HaFlagError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inconsistent flags are refused', () => {
  assert.throws(() => options({ 'cluster-init': 'true', server: 'https://h:1' }), /exclusive/);
  assert.throws(() => options({ server: 'https://h:1' }), /needs a token/);
  assert.throws(() => options({ 'cluster-init': 'true', 'learner-promote-interval': '0s' }), /positive/);
});
