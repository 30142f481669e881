/**
 * Peer and client mTLS on a 3-member cluster (certificates from src/pki): Debian's etcdctl with
 * --cacert/--cert/--key works across members; a process without a certificate from the trusted CA can
 * neither inject Raft messages (raw HTTP/2 requests to the peer port) nor join (a member started with a
 * certificate from another CA exits without becoming ready), while the same member with the right
 * certificate joins. E2E_SUBJECT=etcd runs the same checks against real etcd.
 */
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { Cluster, ClusterMember, waitFor, withClusterLogs } from '../helpers/cluster.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { subjectKind } from '../helpers/oracle.js';
import {
  clientMtlsFlags, createTlsFixtures, etcdctlTlsArgs, peerMtlsFlags, type CertFiles, type TlsFixtures,
} from '../helpers/tls-fixtures.js';

/** Time a member with an untrusted certificate gets to give up (it must exit, not hang). */
const ROGUE_EXIT_TIMEOUT_MS = 30_000;
/** Time one raw peer request gets to be answered or refused. */
const RAW_REQUEST_TIMEOUT_MS = 5_000;

let fixtures: TlsFixtures | undefined;
let cluster: Cluster | undefined;
const extraMembers: ClusterMember[] = [];
after(async () => {
  await Promise.all(extraMembers.map((m) => m.cleanup()));
  await cluster?.cleanup();
  fixtures?.cleanup();
});

/**
 * POSTs a Raft stream request to a peer URL presenting `cert` (or none); resolves to the HTTP status,
 * or to 'refused' when the TLS handshake or the connection fails before any HTTP answer.
 */
function rawRaftPost(peerUrl: string, caFile: string, cert: CertFiles | undefined): Promise<number | 'refused'> {
  return new Promise((resolve) => {
    const session = http2.connect(peerUrl, {
      ca: readFileSync(caFile), rejectUnauthorized: false,
      ...(cert === undefined ? {} : { cert: readFileSync(cert.cert), key: readFileSync(cert.key) }),
    });
    const timer = setTimeout(() => { session.destroy(); resolve('refused'); }, RAW_REQUEST_TIMEOUT_MS);
    const done = (result: number | 'refused'): void => {
      clearTimeout(timer);
      session.destroy();
      resolve(result);
    };
    session.on('error', () => done('refused'));
    session.on('close', () => done('refused'));
    const stream = session.request({ ':method': 'POST', ':path': '/raft/stream',
      'x-tetcd-cluster-id': '1', 'x-tetcd-from': '1', 'x-tetcd-to': '2' });
    stream.on('response', (headers) => done(Number(headers[':status'])));
    stream.on('error', () => done('refused'));
    stream.end(Buffer.from([0, 0, 0, 0]));
  });
}

/**
 * Opens a raw raft stream (ALPN tetcd-raft) to a peer URL presenting `cert` (or none) and writes a preface
 * for another cluster; resolves to the answer line, to 'refused' when the TLS handshake or the
 * connection fails before any answer, or to 'timeout' when nothing happens in time.
 */
function rawRaftStream(peerUrl: string, caFile: string, cert: CertFiles | undefined): Promise<string> {
  return new Promise((resolve) => {
    const url = new URL(peerUrl);
    const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: readFileSync(caFile),
      rejectUnauthorized: false, ALPNProtocols: ['tetcd-raft'],
      ...(cert === undefined ? {} : { cert: readFileSync(cert.cert), key: readFileSync(cert.key) }) });
    let answer = '';
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; socket.destroy(); }, RAW_REQUEST_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => { answer += chunk.toString('utf8'); });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer !== '' ? answer.trim() : timedOut ? 'timeout' : 'refused');
    });
    socket.write('TETCD-RAFT/1 1 1 2\n');
  });
}

test('3-member cluster with client and peer mTLS', async () => {
  fixtures = await createTlsFixtures();
  const f = fixtures;
  const ctl = etcdctlTlsArgs(f);
  cluster = await Cluster.start({
    kind: subjectKind(), clientScheme: 'https', peerScheme: 'https', ctlArgs: ctl,
    extraArgs: [...clientMtlsFlags(f), ...peerMtlsFlags(f)],
  });
  const c = cluster;
  await withClusterLogs([c], async () => {
    const [m1, m2, m3] = c.members;
    const put = await runEtcdctl(m1!.endpoint, [...ctl, 'put', 'tls-key', 'over-mtls']);
    assert.equal(put.exitCode, 0, put.stderr);
    const get = await runEtcdctl(m3!.endpoint, [...ctl, 'get', 'tls-key', '--print-value-only']);
    assert.equal(get.stdout, 'over-mtls\n', get.stderr);
    const health = await runEtcdctl(c.endpoints(), [...ctl, 'endpoint', 'health', '--cluster']);
    assert.equal(health.exitCode, 0, health.stderr);
    // etcdctl 3.4 prints health lines on stderr.
    assert.equal(health.stderr.split('\n').filter((l) => l.includes('is healthy')).length, 3, health.stderr);
    const list = await runEtcdctl(m2!.endpoint, [...ctl, 'member', 'list']);
    assert.equal(list.stdout.split('\n').filter((l) => l.includes('https://127.0.0.1:')).length, 3, list.stdout);

    // Raw Raft injection: refused at the TLS layer without a trusted client certificate; the control with
    // the members' own certificate reaches the HTTP layer (any status). tetcd's peer port speaks HTTP/2
    // (etcd's speaks HTTP/1.1, so this part is tetcd-only).
    if (c.kind === 'tetcd') {
      assert.equal(await rawRaftPost(m2!.peerUrl, f.caFile, undefined), 'refused', 'no client certificate');
      assert.equal(await rawRaftPost(m2!.peerUrl, f.caFile, f.foreignMember), 'refused', 'foreign CA certificate');
      assert.equal(typeof await rawRaftPost(m2!.peerUrl, f.caFile, f.member), 'number', 'trusted certificate');
      // The same for the raw raft stream (ALPN tetcd-raft), which the members use between themselves.
      assert.equal(await rawRaftStream(m2!.peerUrl, f.caFile, undefined), 'refused', 'no client certificate');
      assert.equal(await rawRaftStream(m2!.peerUrl, f.caFile, f.foreignMember), 'refused', 'foreign CA certificate');
      assert.match(await rawRaftStream(m2!.peerUrl, f.caFile, f.member), /^ERR cluster ID mismatch /, 'trusted certificate');
      assert.ok(m1!.log().includes('"protocol":"raft","msg":"peer became active"'), m1!.logTail());
    }

    // A member whose certificate comes from another CA cannot join; the same member with the right one can.
    const { member } = await c.addMember({ start: false });
    const rogue = new ClusterMember({ ...member.spec, extraArgs: [...clientMtlsFlags(f),
      '--peer-cert-file', f.foreignMember.cert, '--peer-key-file', f.foreignMember.key,
      '--peer-trusted-ca-file', f.foreignCaFile, '--peer-client-cert-auth'] });
    extraMembers.push(rogue);
    rogue.spawnProcess();
    await rogue.waitExit(ROGUE_EXIT_TIMEOUT_MS);
    assert.ok(!rogue.log().includes('ready to serve client requests'), `rogue member became ready:\n${rogue.logTail()}`);
    await member.start();
    await waitFor('the new member to be started in member list', 30_000, async () => {
      const res = await runEtcdctl(m1!.endpoint, [...ctl, 'member', 'list']);
      return res.stdout.split('\n').filter((l) => l.includes(', started, ')).length === 4 ? true : undefined;
    });
    await waitFor('the new member to replicate tls-key', 20_000, async () => {
      const res = await runEtcdctl(member.endpoint, [...ctl, 'get', 'tls-key', '--print-value-only', '--consistency=s']);
      return res.stdout === 'over-mtls\n' ? true : undefined;
    });
  });
});
