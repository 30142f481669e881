/**
 * Test PKI for TLS tests, generated with src/pki into a temp dir: a CA, a server/peer certificate for
 * 127.0.0.1 + localhost, a client certificate (CN "root"), a revoked client certificate (CN "revoked")
 * with a CRL listing it, and a second, untrusted CA with a server/peer and a client certificate.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, createCrl, issueCert, type IssuedCertificate } from '../../src/pki/index.js';

/** Paths of one certificate and its key. */
export interface CertFiles { cert: string; key: string }

export interface TlsFixtures {
  dir: string;
  caFile: string;
  /** Server and peer certificate (serverAuth + clientAuth) for 127.0.0.1 and localhost, CN "member". */
  member: CertFiles;
  /** Client certificate CN "root". */
  client: CertFiles;
  /** Client certificate CN "revoked", listed in crlFile. */
  revoked: CertFiles;
  crlFile: string;
  /** A CRL that revokes nothing (for the peer side). */
  emptyCrlFile: string;
  /** Another CA and certificates it issued (untrusted by the members). */
  foreignCaFile: string;
  foreignMember: CertFiles;
  foreignClient: CertFiles;
  /** Removes the directory (unless E2E_KEEP_TMP=1). */
  cleanup(): void;
}

function write(dir: string, name: string, issued: IssuedCertificate): CertFiles {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  writeFileSync(cert, issued.certPem);
  writeFileSync(key, issued.keyPem, { mode: 0o600 });
  return { cert, key };
}

/** Generates the fixtures (a few hundred ms). */
export async function createTlsFixtures(): Promise<TlsFixtures> {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-tls-'));
  const ca = await createCa({ commonName: 'tetcd-test-ca' });
  const foreignCa = await createCa({ commonName: 'foreign-ca' });
  const sans = ['127.0.0.1', 'localhost'];
  const revoked = await issueCert(ca, { commonName: 'revoked', usage: 'client' });
  const fixtures: TlsFixtures = {
    dir,
    caFile: join(dir, 'ca.pem'),
    member: write(dir, 'member', await issueCert(ca, { commonName: 'member', sans, usage: 'peer' })),
    client: write(dir, 'client', await issueCert(ca, { commonName: 'root', usage: 'client' })),
    revoked: write(dir, 'revoked', revoked),
    crlFile: join(dir, 'ca.crl'),
    emptyCrlFile: join(dir, 'empty.crl'),
    foreignCaFile: join(dir, 'foreign-ca.pem'),
    foreignMember: write(dir, 'foreign-member', await issueCert(foreignCa, { commonName: 'member', sans, usage: 'peer' })),
    foreignClient: write(dir, 'foreign-client', await issueCert(foreignCa, { commonName: 'root', usage: 'client' })),
    cleanup: () => {
      if (process.env['E2E_KEEP_TMP'] !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
  writeFileSync(fixtures.caFile, ca.certPem);
  writeFileSync(fixtures.foreignCaFile, foreignCa.certPem);
  writeFileSync(fixtures.crlFile, await createCrl(ca, [revoked.serialHex]));
  writeFileSync(fixtures.emptyCrlFile, await createCrl(ca, []));
  return fixtures;
}

/** etcd server flags for client mTLS with `fixtures` (client URLs must be https://). */
export function clientMtlsFlags(fixtures: TlsFixtures, crl = true): string[] {
  return ['--cert-file', fixtures.member.cert, '--key-file', fixtures.member.key, '--trusted-ca-file', fixtures.caFile,
    '--client-cert-auth', ...(crl ? ['--client-crl-file', fixtures.crlFile] : [])];
}

/** etcd server flags for peer mTLS with `fixtures` (peer URLs must be https://). */
export function peerMtlsFlags(fixtures: TlsFixtures): string[] {
  return ['--peer-cert-file', fixtures.member.cert, '--peer-key-file', fixtures.member.key,
    '--peer-trusted-ca-file', fixtures.caFile, '--peer-client-cert-auth'];
}

/** etcdctl flags trusting the CA and presenting `cert` (default: the valid client certificate; null: none). */
export function etcdctlTlsArgs(fixtures: TlsFixtures, cert: CertFiles | null = fixtures.client): string[] {
  return ['--cacert', fixtures.caFile, ...(cert === null ? [] : ['--cert', cert.cert, '--key', cert.key])];
}
