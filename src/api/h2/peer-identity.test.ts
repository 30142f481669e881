import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { createCa, createCrl, issueCert, type IssuedCertificate } from '../../pki/index.js';
import { createPeerCertificateCheck, EMPTY_TLS_INFO } from '../../platform/tls-config.js';
import { ClientListener } from './client-listener.js';
import { GrpcH2Server } from './grpc-h2-server.js';
import { callPeerCommonName, type CallWithPeer } from './peer-identity.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const identity = (value: Buffer): Buffer => value;
/** A one-method service answering with the caller's certificate CN (or "-"). */
const WHO_SERVICE: grpc.ServiceDefinition = {
  who: { path: '/test.Who/Who', requestStream: false, responseStream: false, requestSerialize: identity,
    requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
    originalName: 'who' } as grpc.MethodDefinition<Buffer, Buffer>,
};

const dir = mkdtempSync(join(tmpdir(), 'tetcd-peer-identity-'));
const listeners: ClientListener[] = [];
after(async () => {
  await Promise.all(listeners.map((l) => l.close(10)));
  rmSync(dir, { recursive: true, force: true });
});

async function startListener(ca: string, server: IssuedCertificate, crlFile: string,
  rejected: string[]): Promise<number> {
  const grpcServer = new GrpcH2Server(1024 * 1024);
  grpcServer.addService(WHO_SERVICE, {
    who: (call: CallWithPeer, callback: (error: null, value: Buffer) => void) =>
      callback(null, Buffer.from(callPeerCommonName(call) ?? '-')),
  });
  const info = { ...EMPTY_TLS_INFO, clientCertAuth: true, crlFile };
  const listener = new ClientListener(grpcServer, (_req, res) => { res.writeHead(200); res.end('ok'); }, {
    maxConcurrentStreams: 100,
    tls: crlFile === '' ? undefined : { options: { cert: server.certPem, key: server.keyPem, ca, requestCert: true, rejectUnauthorized: true },
      check: createPeerCertificateCheck(info, { checkSan: false }),
      onRejected: (_remote, reason) => rejected.push(reason) },
  });
  listeners.push(listener);
  return await listener.listen('127.0.0.1', 0);
}

function who(port: number, ca: string | undefined, client: IssuedCertificate | undefined): Promise<string> {
  const Client = grpc.makeGenericClientConstructor(WHO_SERVICE, 'Who');
  const credentials = ca === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(Buffer.from(ca),
    client === undefined ? null : Buffer.from(client.keyPem),
    client === undefined ? null : Buffer.from(client.certPem));
  const stub = new Client(`127.0.0.1:${port}`, credentials) as unknown as grpc.Client & {
    who(request: Buffer, options: grpc.CallOptions,
      callback: (error: grpc.ServiceError | null, value?: Buffer) => void): void;
  };
  return new Promise((resolve, reject) => {
    stub.who(Buffer.alloc(0), { deadline: Date.now() + 5000 }, (error, value) => {
      stub.close();
      if (error !== null) reject(error);
      else resolve(value!.toString('utf8'));
    });
  });
}

test('a gRPC call sees its verified client certificate CN; no cert, revoked or foreign certs are refused', async () => {
  const ca = await createCa({ commonName: 'identity-ca' });
  const server = await issueCert(ca, { commonName: 'server', sans: ['127.0.0.1', 'localhost'], usage: 'server' });
  const alice = await issueCert(ca, { commonName: 'alice', usage: 'client' });
  const revoked = await issueCert(ca, { commonName: 'mallory', usage: 'client' });
  const foreign = await issueCert(await createCa({ commonName: 'other' }), { commonName: 'eve', usage: 'client' });
  const crlFile = join(dir, 'ca.crl');
  writeFileSync(crlFile, await createCrl(ca, [revoked.serialHex]));
  const rejected: string[] = [];
  const port = await startListener(ca.certPem, server, crlFile, rejected);
  assert.equal(await who(port, ca.certPem, alice), 'alice');
  await assert.rejects(who(port, ca.certPem, undefined));
  await assert.rejects(who(port, ca.certPem, foreign));
  await assert.rejects(who(port, ca.certPem, revoked));
  assert.ok(rejected.some((r) => r.includes(`serial ${revoked.serialHex.replace(/^0+/, '')} revoked`)), rejected.join('\n'));
  // The CRL is re-read when it changes: revoking alice takes effect for new connections.
  writeFileSync(crlFile, await createCrl(ca, [revoked.serialHex, alice.serialHex]));
  await assert.rejects(who(port, ca.certPem, alice));
  // A plain-text listener: no identity.
  const plainPort = await startListener(ca.certPem, server, '', rejected);
  assert.equal(await who(plainPort, undefined, undefined), '-');
});
