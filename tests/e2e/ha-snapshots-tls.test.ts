/**
 * `tetcd snapshot save` against a real etcd serving https with client-certificate auth (as K3s runs it):
 * credentials from --cacert/--cert/--key, from `<data-dir>/server/tetcdctl.env`, and a clear failure
 * without a client certificate. Certificates come from src/pki.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createCa, issueCert } from '../../src/pki/index.js';
import { runSnapshotCommand } from '../../src/ha/snapshot-command.js';
import { ETCD_BIN, requireOracleBinaries } from '../helpers/binaries.js';
import { allocatePort } from '../helpers/ports.js';
import { liveGroups, signalGroup } from '../helpers/process-groups.js';
import { READY_LINE, READY_TIMEOUT_MS_DEFAULT } from '../helpers/server.js';

let root: string;
let etcd: ChildProcess | undefined;
let endpoint: string;
let files: { ca: string; cert: string; key: string };

async function startTlsEtcd(): Promise<void> {
  requireOracleBinaries();
  const [clientPort, peerPort] = [await allocatePort(), await allocatePort()];
  endpoint = `https://127.0.0.1:${clientPort}`;
  const tls = join(root, 'tls');
  const ca = await createCa({ commonName: 'tetcd-test-ca' });
  const server = await issueCert(ca, { commonName: 'etcd', sans: ['127.0.0.1', 'localhost'], usage: 'server' });
  const client = await issueCert(ca, { commonName: 'snapshotter', usage: 'client' });
  mkdirSync(tls);
  files = { ca: join(tls, 'ca.crt'), cert: join(tls, 'client.crt'), key: join(tls, 'client.key') };
  writeFileSync(files.ca, ca.certPem);
  writeFileSync(files.cert, client.certPem);
  writeFileSync(files.key, client.keyPem);
  writeFileSync(join(tls, 'server.crt'), server.certPem);
  writeFileSync(join(tls, 'server.key'), server.keyPem);
  const child = spawn(ETCD_BIN, [
    '--name', 'tls', '--data-dir', join(root, 'etcd-data'),
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-cluster', `tls=http://127.0.0.1:${peerPort}`,
    '--cert-file', join(tls, 'server.crt'), '--key-file', join(tls, 'server.key'),
    '--trusted-ca-file', files.ca, '--client-cert-auth',
  ], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  etcd = child;
  if (child.pid !== undefined) liveGroups.add(child.pid);
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`etcd not ready:\n${log.slice(-3000)}`)), READY_TIMEOUT_MS_DEFAULT);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes(READY_LINE)) { clearTimeout(timer); resolve(); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`etcd exited ${code}:\n${log.slice(-3000)}`)); });
  });
}

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSnapshotCommand(argv, {
    stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => err.push(text) },
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'tetcd-ha-tls-'));
  await startTlsEtcd();
});

after(() => {
  if (etcd?.pid !== undefined) {
    signalGroup(etcd.pid, 'SIGKILL');
    liveGroups.delete(etcd.pid);
  }
  if (root !== undefined && process.env['E2E_KEEP_TMP'] !== '1') rmSync(root, { recursive: true, force: true });
});

test('save over mTLS with --cacert/--cert/--key', async () => {
  const dir = join(root, 'flags');
  const saved = await cli('save', '--etcd-server', endpoint, '--cacert', files.ca, '--cert', files.cert,
    '--key', files.key, '--dir', dir, '--node-name', 'n1');
  assert.equal(saved.code, 0, saved.stderr);
  assert.equal(readdirSync(dir).length, 1);
});

test('save with credentials from <data-dir>/server/tetcdctl.env into <data-dir>/server/db/snapshots', async () => {
  const dataDir = join(root, 'data');
  mkdirSync(join(dataDir, 'server'), { recursive: true });
  writeFileSync(join(dataDir, 'server', 'tetcdctl.env'), [
    `ETCDCTL_ENDPOINTS=${endpoint}`, `ETCDCTL_CACERT=${files.ca}`, `ETCDCTL_CERT=${files.cert}`,
    `ETCDCTL_KEY=${files.key}`, '',
  ].join('\n'));
  const saved = await cli('save', '--data-dir', dataDir, '--node-name', 'n1', '--snapshot-compress');
  assert.equal(saved.code, 0, saved.stderr);
  const names = readdirSync(join(dataDir, 'server', 'db', 'snapshots'));
  assert.equal(names.length, 1);
  assert.match(names[0]!, /^on-demand-n1-\d+\.zip$/);
});

test('without a client certificate the member refuses and nothing is kept', async () => {
  const dir = join(root, 'nocert');
  const saved = await cli('save', '--etcd-server', endpoint, '--cacert', files.ca, '--dir', dir, '--node-name', 'n1');
  assert.equal(saved.code, 1);
  assert.match(saved.stderr, /^Error: snapshot stream from https:\/\/127\.0\.0\.1:\d+ failed: /);
  assert.deepEqual(readdirSync(dir), []);
});
