import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { after, test } from 'node:test';
import { createCa, createCrl, issueCert } from '../pki/index.js';
import {
  EMPTY_TLS_INFO, buildTlsProtocol, clientTlsOptions, createPeerCertificateCheck, crlRevokedSerials, parseCipherSuites,
  serverTlsOptions,
  type TlsProtocolSettings,
} from './tls-config.js';

const dir = mkdtempSync(join(tmpdir(), 'tetcd-tls-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('Go cipher suite names map to OpenSSL names; unknown names fail with etcd\'s message', () => {
  assert.equal(parseCipherSuites(''), '');
  assert.equal(parseCipherSuites('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305'),
    'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305');
  assert.throws(() => parseCipherSuites('BOGUS'), { message: 'unexpected TLS cipher suite "BOGUS"' });
  assert.throws(() => parseCipherSuites('TLS_RSA_WITH_RC4_128_SHA'), /not available/);
  assert.ok(tls.getCiphers().includes('ecdhe-ecdsa-aes128-gcm-sha256'), 'mapping targets exist in this OpenSSL');
});

test('TLS versions: names, order and the TLS1.3-only cipher rule', () => {
  assert.deepEqual(buildTlsProtocol('', 'TLS1.2', ''), { ciphers: '', minVersion: 'TLSv1.2', maxVersion: undefined });
  assert.equal(buildTlsProtocol('', 'TLS1.3', 'TLS1.3').maxVersion, 'TLSv1.3');
  assert.throws(() => buildTlsProtocol('', 'TLS1.1', ''), /unexpected TLS version "TLS1.1"/);
  assert.throws(() => buildTlsProtocol('', 'TLS1.3', 'TLS1.2'), /greater than or equal/);
  assert.throws(() => buildTlsProtocol('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS1.3', ''), /only TLS1.3/);
});

test('CRL parser reads PEM and DER serials (including leading-zero-trimmed ones)', async () => {
  const ca = await createCa({ commonName: 'crl' });
  const pem = await createCrl(ca, ['00ff', '0a0b0c', '7fffffffffffffffffffffffffffffff']);
  assert.deepEqual([...crlRevokedSerials(Buffer.from(pem))].sort(), ['7fffffffffffffffffffffffffffffff', 'a0b0c', 'ff']);
  const der = Buffer.from(pem.replace(/-----[A-Z0-9 ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  assert.equal(crlRevokedSerials(der).size, 3);
  assert.equal(crlRevokedSerials(Buffer.from(await createCrl(ca, []))).size, 0);
  assert.throws(() => crlRevokedSerials(Buffer.from('not a crl')));
});

test('server and client options negotiate the configured maximum version and present certificates', async () => {
  const ca = await createCa({ commonName: 'v' });
  const server = await issueCert(ca, { commonName: 's', sans: ['127.0.0.1'], usage: 'peer' });
  const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 's.pem'), key: join(dir, 's-key.pem') };
  writeFileSync(files.ca, ca.certPem);
  writeFileSync(files.cert, server.certPem);
  writeFileSync(files.key, server.keyPem);
  const info = { ...EMPTY_TLS_INFO, certFile: files.cert, keyFile: files.key, trustedCaFile: files.ca,
    clientCertAuth: true };
  const protocol: TlsProtocolSettings = buildTlsProtocol('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'TLS1.2', 'TLS1.2');
  const srv = tls.createServer(serverTlsOptions(info, protocol), (socket) => socket.end());
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  type Negotiated = { version: string | null; cipher: string; authorized: boolean };
  const negotiated = await new Promise<Negotiated>((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...clientTlsOptions(info, buildTlsProtocol('', 'TLS1.2', '')) },
      () => {
        resolve({ version: socket.getProtocol(), cipher: socket.getCipher().standardName,
          authorized: socket.authorized });
        socket.destroy();
      });
    socket.on('error', reject);
  });
  srv.close();
  assert.deepEqual(negotiated, { version: 'TLSv1.2', cipher: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', authorized: true });
  assert.throws(() => serverTlsOptions(EMPTY_TLS_INFO, protocol), /KeyFile and CertFile are not presented/);
  assert.throws(() => serverTlsOptions({ ...info, keyFile: join(dir, 'missing.pem') }, protocol), /cannot read key file/);
});

/** Runs `check` on the server side of one handshake where the client presents `client`. */
type Pem = { certPem: string; keyPem: string };

async function checkOnce(check: ReturnType<typeof createPeerCertificateCheck>, ca: string, server: Pem,
  client: Pem): Promise<string | undefined> {
  const result = new Promise<string | undefined>((resolve, reject) => {
    const srv = tls.createServer({ cert: server.certPem, key: server.keyPem, ca, requestCert: true,
      rejectUnauthorized: true }, (socket) => {
      check(socket).then(resolve, reject).finally(() => { socket.destroy(); srv.close(); });
    });
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      const socket = tls.connect({ host: '127.0.0.1', port, ca, cert: client.certPem, key: client.keyPem });
      socket.on('error', () => undefined);
    });
  });
  return await result;
}

test('post-handshake checks: allowed CN or hostname, and the peer SAN against the remote address', async () => {
  const ca = await createCa({ commonName: 'checks' });
  const server = await issueCert(ca, { commonName: 's', sans: ['127.0.0.1'], usage: 'server' });
  const member = await issueCert(ca, { commonName: 'member', sans: ['127.0.0.1', 'localhost'], usage: 'peer' });
  const other = await issueCert(ca, { commonName: 'other', sans: ['10.9.8.7'], usage: 'peer' });
  const noSans = await issueCert(ca, { commonName: 'plain', usage: 'client' });
  const byCn = createPeerCertificateCheck({ ...EMPTY_TLS_INFO, allowedCn: 'member' }, { checkSan: false });
  assert.equal(await checkOnce(byCn, ca.certPem, server, member), undefined);
  assert.equal(await checkOnce(byCn, ca.certPem, server, other), 'client certificate authentication failed');
  const byHost = createPeerCertificateCheck({ ...EMPTY_TLS_INFO, allowedHostname: 'localhost' }, { checkSan: false });
  assert.equal(await checkOnce(byHost, ca.certPem, server, member), undefined);
  assert.equal(await checkOnce(byHost, ca.certPem, server, noSans), 'client certificate authentication failed');
  const san = createPeerCertificateCheck(EMPTY_TLS_INFO, { checkSan: true });
  assert.equal(await checkOnce(san, ca.certPem, server, member), undefined);
  assert.equal(await checkOnce(san, ca.certPem, server, noSans), undefined);
  assert.match(await checkOnce(san, ca.certPem, server, other) ?? '', /"127\.0\.0\.1" does not match/);
});
