/**
 * Reads the facts tests and operators need from a PEM certificate (node:crypto's X509Certificate).
 */
import { X509Certificate } from 'node:crypto';
import { normaliseSerialHex } from './crl.js';

export interface CertificateInfo {
  /** Subject CN ('' when absent). */
  commonName: string;
  /** Issuer CN ('' when absent). */
  issuerCommonName: string;
  /** DNS names and IP addresses from subjectAltName. */
  sans: string[];
  /** Lower-case hex without leading zeros. */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
}

function cnOf(dn: string): string {
  for (const line of dn.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return '';
}

/**
 * Parses a PEM certificate.
 * @throws Error if `pem` is not a certificate.
 */
export function readCertificate(pem: string | Buffer): CertificateInfo {
  const cert = new X509Certificate(pem);
  const sans = (cert.subjectAltName ?? '').split(', ').filter((s) => s !== '')
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ''));
  return {
    commonName: cnOf(cert.subject), issuerCommonName: cnOf(cert.issuer), sans,
    serialHex: normaliseSerialHex(cert.serialNumber), notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo), isCa: cert.ca,
  };
}
