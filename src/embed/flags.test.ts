import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServerConfig } from './config.js';
import { loadConfigFile } from './config-file.js';
import { FlagError, parseDurationMs, parseServerFlags } from './flag-parser.js';
import { parseYamlSubset } from './yaml-subset.js';

const base = ['--listen-client-urls', 'http://127.0.0.1:1', '--listen-peer-urls', 'http://127.0.0.1:2'];

test('etcd defaults: name default, data dir default.tetcd, token etcd-cluster', () => {
  const config = buildServerConfig(parseServerFlags([], {}));
  assert.equal(config.name, 'default');
  assert.equal(config.dataDir, 'default.tetcd');
  assert.equal(config.initialClusterToken, 'etcd-cluster');
  assert.equal(config.maxTxnOps, 128);
  assert.equal(config.maxRequestBytes, 1572864);
  assert.deepEqual(config.initialCluster, [{ name: 'default', peerUrls: ['http://localhost:2380'] }]);
});

test('Go flag forms: --a=b, --a b, -a b, bare booleans', () => {
  const flags = parseServerFlags(['-name', 'x', '--snapshot-count=5', '--pre-vote', '--strict-reconfig-check=false',
    ...base], {});
  assert.equal(flags.values.get('name'), 'x');
  assert.equal(flags.values.get('snapshot-count'), '5');
  assert.equal(flags.values.get('pre-vote'), 'true');
  assert.equal(flags.values.get('strict-reconfig-check'), 'false');
});

test('unknown and incomplete flags give Go flag errors', () => {
  assert.throws(() => parseServerFlags(['--foo'], {}), { message: 'flag provided but not defined: -foo' });
  assert.throws(() => parseServerFlags(['--name'], {}), { message: 'flag needs an argument: -name' });
  assert.throws(() => parseServerFlags(['--snapshot-count', 'x'], {}), FlagError);
  assert.throws(() => parseServerFlags(['--pre-vote=maybe'], {}), FlagError);
});

test('ETCD_* env vars apply, flags win, unknown ones warn', () => {
  const flags = parseServerFlags(['--name', 'flag'], { ETCD_NAME: 'env', ETCD_SNAPSHOT_COUNT: '7', ETCD_BOGUS: '1' });
  assert.equal(flags.values.get('name'), 'flag');
  assert.equal(flags.values.get('snapshot-count'), '7');
  assert.ok(flags.warnings.some((w) => w.includes('ETCD_BOGUS')));
  assert.ok(flags.warnings.some((w) => w.includes('ETCD_NAME') && w.includes('shadowed')));
});

test('config validation: election vs heartbeat, local member in initial cluster, cluster state', () => {
  assert.throws(() => buildServerConfig(parseServerFlags(['--heartbeat-interval', '300'], {})), /5 times/);
  assert.throws(() => buildServerConfig(parseServerFlags(['--name', 'nobody'], {})), /couldn't find local name/);
  assert.throws(() => buildServerConfig(parseServerFlags(['--initial-cluster-state', 'maybe'], {})), /"new" or "existing"/);
  assert.throws(() => buildServerConfig(parseServerFlags(['--listen-client-urls', 'ftp://x:1'], {})), /scheme/);
  assert.throws(() => buildServerConfig(parseServerFlags(['stray'], {})), /not a valid flag/);
});

test('--initial-cluster accepts unstarted members with an empty name (etcdctl member add output)', () => {
  const flags = parseServerFlags(['--name', 'm2', '--initial-cluster', 'm1=http://127.0.0.1:1,=http://127.0.0.1:3,m2=http://127.0.0.1:2',
    '--initial-advertise-peer-urls', 'http://127.0.0.1:2', '--initial-cluster-state', 'existing'], {});
  const config = buildServerConfig(flags);
  assert.deepEqual(config.initialCluster.map((m) => m.name), ['m1', '', 'm2']);
  assert.throws(() => buildServerConfig(parseServerFlags(['--initial-cluster', 'nonsense'], {})), /missing '='/);
});

test('durations parse as Go does', () => {
  assert.equal(parseDurationMs('100ms', 'x'), 100);
  assert.equal(parseDurationMs('1h30m', 'x'), 5_400_000);
  assert.throws(() => parseDurationMs('10', 'x'), FlagError);
});

test('YAML subset: maps, lists, quotes, comments; rejects unsupported constructs', () => {
  const doc = parseYamlSubset(`# etcd config\nname: 'm1'\nsnapshot-count: 10\nlist: [a, b]\nnested:\n  key: "v # not comment"\nblock:\n  - x\n  - y\n`);
  assert.deepEqual(doc, { name: 'm1', 'snapshot-count': 10, list: ['a', 'b'], nested: { key: 'v # not comment' }, block: ['x', 'y'] });
  assert.throws(() => parseYamlSubset('a: &anchor 1'), /unsupported/);
  assert.throws(() => parseYamlSubset('a: 1\na: 2'), /duplicate/);
});

test('--config-file maps keys to flags, including transport security sections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-config-'));
  const path = join(dir, 'etcd.yaml');
  writeFileSync(path, [
    'name: m1', 'data-dir: /var/lib/x', 'listen-client-urls: http://127.0.0.1:2379',
    'initial-cluster: m1=http://localhost:2380', 'client-transport-security:', '  cert-file: /c.pem',
    '  client-cert-auth: true', 'peer-transport-security:', '  trusted-ca-file: /ca.pem',
  ].join('\n'));
  const flags = loadConfigFile(path);
  assert.equal(flags.values.get('name'), 'm1');
  assert.equal(flags.values.get('cert-file'), '/c.pem');
  assert.equal(flags.values.get('client-cert-auth'), 'true');
  assert.equal(flags.values.get('peer-trusted-ca-file'), '/ca.pem');
  assert.equal(buildServerConfig(flags).dataDir, '/var/lib/x');
  writeFileSync(path, 'no-such-setting: 1\n');
  assert.throws(() => loadConfigFile(path), /unknown setting "no-such-setting"/);
});
