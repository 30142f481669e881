import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  commandSettings, listFormatFrom, memberConnection, parseArgs, retentionFrom, s3OptionsFrom, snapshotBaseName,
  UsageError,
} from './command-args.js';

test('both K3s spellings, = and space forms, booleans with =false', () => {
  const a = parseArgs(['--etcd-snapshot-dir=/s', '--etcd-s3', '--s3-bucket', 'b', '--etcd-s3-folder=f',
    '--s3-insecure=false', '-o', 'yaml', 'pos', '--name=x']);
  assert.equal(a.strings.get('dir'), '/s');
  assert.equal(a.bools.get('s3'), true);
  assert.equal(a.bools.get('s3Insecure'), false);
  assert.equal(a.strings.get('s3Folder'), 'f');
  assert.deepEqual(a.positional, ['pos']);
  assert.equal(listFormatFrom(a), 'yaml');
  assert.equal(snapshotBaseName(a), 'x');
  const s3 = s3OptionsFrom(a)!;
  assert.equal(s3.bucket, 'b');
  assert.equal(s3.endpoint, 's3.amazonaws.com');
  assert.equal(s3.region, 'us-east-1');
  assert.equal(s3.timeoutMs, 300_000);
  assert.equal(s3.insecure, false);
  assert.equal(s3OptionsFrom(parseArgs(['--etcd-s3=false', '--s3-bucket', 'b'])), undefined);
});

test('defaults and usage errors', () => {
  const a = parseArgs(['--data-dir', '/d', '--node-name', 'n']);
  assert.deepEqual(commandSettings(a), { dataDir: '/d', dir: '/d/server/db/snapshots', nodeName: 'n' });
  assert.equal(snapshotBaseName(a), 'on-demand');
  assert.equal(retentionFrom(a), 5);
  assert.equal(retentionFrom(parseArgs(['--etcd-snapshot-retention', '2'])), 2);
  assert.equal(listFormatFrom(a), 'table');
  assert.throws(() => parseArgs(['--bogus']), { message: 'flag provided but not defined: -bogus' });
  assert.throws(() => parseArgs(['--dir']), UsageError);
  assert.throws(() => parseArgs(['--s3=maybe']), UsageError);
  assert.throws(() => s3OptionsFrom(parseArgs(['--s3'])), { message: 's3 bucket name was not set' });
  assert.throws(() => s3OptionsFrom(parseArgs(['--s3', '--s3-bucket=b', '--s3-timeout=x'])), UsageError);
  assert.throws(() => listFormatFrom(parseArgs(['-o', 'xml'])), { message: 'invalid output format: xml' });
  assert.throws(() => retentionFrom(parseArgs(['--snapshot-retention', '-1'])), UsageError);
});

test('member connection: flags, then <data-dir>/server/tetcdctl.env, then 127.0.0.1:2379', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-ha-args-'));
  try {
    assert.deepEqual(memberConnection(parseArgs([]), dir), { endpoint: 'http://127.0.0.1:2379' });
    mkdirSync(join(dir, 'server'));
    writeFileSync(join(dir, 'ca.crt'), 'CA');
    writeFileSync(join(dir, 'server', 'tetcdctl.env'),
      `export ETCDCTL_ENDPOINTS=https://127.0.0.1:5000,https://127.0.0.1:5001\nETCDCTL_CACERT="${join(dir, 'ca.crt')}"\n`);
    const fromEnv = memberConnection(parseArgs([]), dir);
    assert.equal(fromEnv.endpoint, 'https://127.0.0.1:5000');
    assert.equal(fromEnv.tls?.ca?.toString(), 'CA');
    assert.equal(memberConnection(parseArgs(['--etcd-server', 'http://127.0.0.1:1']), dir).endpoint, 'http://127.0.0.1:1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
