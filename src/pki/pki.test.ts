import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createCa, createCrl, ensureSelfSignedFiles, issueCert, normaliseSerialHex, readCertificate, revokedSerials,
  type CertificateAuthority, type IssuedCertificate,
} from './index.js';

/** Completes one TLS handshake between a server using `server` and a client presenting `client`. */
function handshake(ca: string, server: IssuedCertificate, client: IssuedCertificate | undefined,
  crl?: string): Promise<{ clientOk: boolean; serverAuthorized: boolean; peerCn: string | undefined }> {
  return new Promise((resolve, reject) => {
    const srv = tls.createServer({ cert: server.certPem, key: server.keyPem, ca, requestCert: true,
      rejectUnauthorized: false, ...(crl === undefined ? {} : { crl }) }, (socket) => {
      const cert = socket.getPeerCertificate();
      const result = { clientOk: true, serverAuthorized: socket.authorized,
        peerCn: typeof cert.subject?.CN === 'string' ? cert.subject.CN : undefined };
      socket.end();
      srv.close();
      resolve(result);
    });
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      const socket = tls.connect({ host: '127.0.0.1', port, ca,
        ...(client === undefined ? {} : { cert: client.certPem, key: client.keyPem }) });
      socket.on('error', (error) => { srv.close(); reject(error); });
      socket.on('data', () => undefined);
    });
  });
}

test('CA issues server, client and peer certificates that verify against it', async () => {
  const ca = await createCa({ commonName: 'test-ca' });
  const caInfo = readCertificate(ca.certPem);
  assert.equal(caInfo.isCa, true);
  assert.equal(caInfo.commonName, 'test-ca');
  const server = await issueCert(ca, { commonName: 'server', sans: ['localhost', '127.0.0.1'], usage: 'server' });
  const info = readCertificate(server.certPem);
  assert.deepEqual(info.sans, ['localhost', '127.0.0.1']);
  assert.equal(info.issuerCommonName, 'test-ca');
  assert.equal(info.serialHex, normaliseSerialHex(server.serialHex));
  assert.equal(info.isCa, false);
  assert.ok(new X509Certificate(server.certPem).verify(new X509Certificate(ca.certPem).publicKey));
  const client = await issueCert(ca, { commonName: 'alice', usage: 'client' });
  const result = await handshake(ca.certPem, server, client);
  assert.equal(result.serverAuthorized, true);
  assert.equal(result.peerCn, 'alice');
});

test('a certificate from another CA is not authorized; validity is honoured', async () => {
  const ca = await createCa({ commonName: 'ca-1' });
  const other = await createCa({ commonName: 'ca-2', keyType: 'rsa-2048' });
  const server = await issueCert(ca, { commonName: 's', sans: ['127.0.0.1'], usage: 'peer' });
  const foreign = await issueCert(other, { commonName: 'mallory', usage: 'client' }); // ECDSA key, RSA signature
  const result = await handshake(ca.certPem, server, foreign);
  assert.equal(result.serverAuthorized, false);
  const now = new Date('2030-01-01T00:00:00Z');
  const short = await issueCert(ca, { commonName: 'x', usage: 'client', validityDays: 2, now });
  const info = readCertificate(short.certPem);
  assert.equal(info.notAfter.getTime() - now.getTime(), 2 * 86_400_000);
  await assert.rejects(issueCert(ca, { commonName: 'x', usage: 'client', validityDays: 0 }));
});

test('CRL lists revoked serials and OpenSSL refuses a revoked client', async () => {
  const ca: CertificateAuthority = await createCa({ commonName: 'crl-ca' });
  const server = await issueCert(ca, { commonName: 's', sans: ['127.0.0.1'], usage: 'server' });
  const good = await issueCert(ca, { commonName: 'good', usage: 'client' });
  const bad = await issueCert(ca, { commonName: 'bad', usage: 'client' });
  const crl = await createCrl(ca, [bad.serialHex]);
  assert.deepEqual([...revokedSerials(crl)], [normaliseSerialHex(bad.serialHex)]);
  assert.equal((await handshake(ca.certPem, server, good, crl)).serverAuthorized, true);
  assert.equal((await handshake(ca.certPem, server, bad, crl)).serverAuthorized, false);
});

test('self-signed files are generated once and reused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-pki-'));
  try {
    const first = await ensureSelfSignedFiles(join(dir, 'fixtures', 'client'), ['127.0.0.1'], 2);
    assert.equal(first.generated, true);
    assert.equal(statSync(first.keyFile).mode & 0o777, 0o600);
    const info = readCertificate(readFileSync(first.certFile));
    assert.deepEqual(info.sans, ['127.0.0.1']);
    const years = (info.notAfter.getTime() - info.notBefore.getTime()) / (365 * 86_400_000);
    assert.ok(years > 1.99 && years < 2.01, `validity ${years} years`);
    const second = await ensureSelfSignedFiles(join(dir, 'fixtures', 'client'), ['127.0.0.1'], 2);
    assert.equal(second.generated, false);
    assert.equal(readFileSync(second.certFile, 'utf8'), readFileSync(first.certFile, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
