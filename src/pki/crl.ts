/**
 * Certificate revocation lists: create one signed by a CA (PEM), and list the serials a CRL revokes.
 */
import './reflect-shim.js';
import * as x509 from '@peculiar/x509';
import type { CertificateAuthority } from './certs.js';
import { importSigningKey, signingAlgorithm } from './keys.js';
import { crlRevokedSerials } from '../platform/tls-config.js';

const MS_PER_DAY = 86_400_000;
/** Default time until the CRL's nextUpdate. */
export const CRL_NEXT_UPDATE_DAYS_DEFAULT = 30;

/**
 * A CRL issued by `ca` revoking the given serial numbers (hex, any case, leading zeros ignored).
 * @throws Error if the CA key cannot be imported.
 */
export async function createCrl(ca: CertificateAuthority, revokedSerialsHex: readonly string[],
  options: { now?: Date; nextUpdateDays?: number } = {}): Promise<string> {
  const signer = await importSigningKey(ca.keyPem);
  const now = options.now ?? new Date();
  const crl = await x509.X509CrlGenerator.create({
    issuer: new x509.X509Certificate(ca.certPem).subject,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + (options.nextUpdateDays ?? CRL_NEXT_UPDATE_DAYS_DEFAULT) * MS_PER_DAY),
    entries: revokedSerialsHex.map((serialNumber) => ({ serialNumber, revocationDate: now })),
    signingKey: signer.key, signingAlgorithm: signingAlgorithm(signer.type),
  });
  // OpenSSL and Go want the RFC 7468 label "X509 CRL".
  return x509.PemConverter.encode(crl.rawData, 'X509 CRL');
}

/** Canonical serial form for comparisons: lower-case hex without leading zeros. */
export function normaliseSerialHex(serial: string): string {
  const hex = serial.replace(/[^0-9a-fA-F]/g, '').toLowerCase().replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

/**
 * The serial numbers (normalised hex) a CRL lists, from PEM or DER bytes. The signature is not checked
 * (etcd checks CRLs by serial the same way); the parser is the one the TLS listeners use.
 * @throws Error if the bytes are not a CRL.
 */
export function revokedSerials(crlBytes: Buffer | string): Set<string> {
  return crlRevokedSerials(typeof crlBytes === 'string' ? Buffer.from(crlBytes, 'latin1') : crlBytes);
}
