/**
 * Certificate authority and certificate issuance: a self-signed CA, server / client / peer (both)
 * certificates signed by it, and self-signed leaf certificates (auto-TLS). Everything is PEM in, PEM out.
 */
import { isIP } from 'node:net';
import './reflect-shim.js';
import * as x509 from '@peculiar/x509';
import { assert } from '../base/assert.js';
import {
  KEY_TYPE_DEFAULT, generateKeyPair, importSigningKey, privateKeyToPem, randomSerialHex, signingAlgorithm,
  type KeyType,
} from './keys.js';

const MS_PER_DAY = 86_400_000;
/** Default validity of a CA (10 years, as K3s's). */
export const CA_VALIDITY_DAYS_DEFAULT = 3650;
/** Default validity of a leaf certificate (1 year, etcd's --self-signed-cert-validity default). */
export const CERT_VALIDITY_DAYS_DEFAULT = 365;
/** Longest validity accepted (100 years). */
const VALIDITY_DAYS_MAX = 36_500;
/** notBefore is set this far in the past so a peer with a slightly slow clock accepts a fresh cert. */
const BACKDATE_MS = 5 * 60_000;

/** A CA: its certificate and private key, both PEM. */
export interface CertificateAuthority { certPem: string; keyPem: string }

/** An issued certificate with its private key (PEM) and its serial number (lower-case hex). */
export interface IssuedCertificate { certPem: string; keyPem: string; serialHex: string }

/** 'server': TLS server auth; 'client': TLS client auth; 'peer': both (etcd members use one cert both ways). */
export type CertUsage = 'server' | 'client' | 'peer';

export interface CreateCaOptions {
  commonName: string;
  validityDays?: number;
  keyType?: KeyType;
  /** Issue time (default now). */
  now?: Date;
}

export interface IssueCertOptions {
  /** Subject CN (etcd's auth uses the client certificate's CN as the user name). */
  commonName: string;
  /** DNS names and IP addresses for the subjectAltName extension. */
  sans?: readonly string[];
  usage: CertUsage;
  organization?: string;
  validityDays?: number;
  keyType?: KeyType;
  now?: Date;
}

function validity(now: Date | undefined, days: number): { notBefore: Date; notAfter: Date } {
  assert(Number.isFinite(days) && days > 0 && days <= VALIDITY_DAYS_MAX, `validity of ${days} days out of range`);
  const nowMs = (now ?? new Date()).getTime();
  return { notBefore: new Date(nowMs - BACKDATE_MS), notAfter: new Date(nowMs + days * MS_PER_DAY) };
}

/** A subject DN string; commas and other specials in values are escaped. */
function subjectName(commonName: string, organization?: string): string {
  const escape = (value: string): string => value.replace(/([,+"\\<>;=#])/g, '\\$1');
  const parts = [];
  if (organization !== undefined && organization !== '') parts.push(`O=${escape(organization)}`);
  if (commonName !== '') parts.push(`CN=${escape(commonName)}`);
  return parts.join(', ');
}

function sanExtension(sans: readonly string[]): x509.Extension[] {
  if (sans.length === 0) return [];
  const names = sans.map((value) => ({ type: isIP(value) !== 0 ? 'ip' as const : 'dns' as const, value }));
  return [new x509.SubjectAlternativeNameExtension(names, false)];
}

function usageExtensions(usage: CertUsage, keyType: KeyType): x509.Extension[] {
  const ekus = usage === 'server' ? [x509.ExtendedKeyUsage.serverAuth]
    : usage === 'client' ? [x509.ExtendedKeyUsage.clientAuth]
      : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
  const flags = keyType === 'rsa-2048'
    ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
    : x509.KeyUsageFlags.digitalSignature;
  return [new x509.KeyUsagesExtension(flags, true), new x509.ExtendedKeyUsageExtension(ekus, false),
    new x509.BasicConstraintsExtension(false, undefined, true)];
}

/**
 * Creates a self-signed CA certificate and key.
 * @throws AssertionError if the validity is not in (0, 36500] days.
 */
export async function createCa(options: CreateCaOptions): Promise<CertificateAuthority & { serialHex: string }> {
  const keyType = options.keyType ?? KEY_TYPE_DEFAULT;
  const keys = await generateKeyPair(keyType);
  const serialHex = randomSerialHex();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialHex, name: subjectName(options.commonName), keys,
    ...validity(options.now, options.validityDays ?? CA_VALIDITY_DAYS_DEFAULT),
    signingAlgorithm: signingAlgorithm(keyType),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign |
        x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyToPem(keys.privateKey), serialHex };
}

/**
 * Issues a certificate for `options.commonName` signed by `ca`, with a fresh key pair.
 * @throws Error if the CA key cannot be imported; AssertionError on an out-of-range validity.
 */
export async function issueCert(ca: CertificateAuthority, options: IssueCertOptions): Promise<IssuedCertificate> {
  const keyType = options.keyType ?? KEY_TYPE_DEFAULT;
  const signer = await importSigningKey(ca.keyPem);
  const caCert = new x509.X509Certificate(ca.certPem);
  const keys = await generateKeyPair(keyType);
  const serialHex = randomSerialHex();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex, subject: subjectName(options.commonName, options.organization), issuer: caCert.subject,
    ...validity(options.now, options.validityDays ?? CERT_VALIDITY_DAYS_DEFAULT),
    publicKey: keys.publicKey, signingKey: signer.key, signingAlgorithm: signingAlgorithm(signer.type),
    extensions: [
      ...usageExtensions(options.usage, keyType), ...sanExtension(options.sans ?? []),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyToPem(keys.privateKey), serialHex };
}

/**
 * A self-signed leaf certificate usable as server and client (etcd's auto-TLS): organization "etcd",
 * the given hosts as SANs.
 */
export async function createSelfSignedCert(options: { hosts: readonly string[]; validityDays: number;
  organization?: string; keyType?: KeyType; now?: Date }): Promise<IssuedCertificate> {
  const keyType = options.keyType ?? KEY_TYPE_DEFAULT;
  const keys = await generateKeyPair(keyType);
  const serialHex = randomSerialHex();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialHex, name: subjectName('', options.organization ?? 'etcd'), keys,
    ...validity(options.now, options.validityDays), signingAlgorithm: signingAlgorithm(keyType),
    extensions: [...usageExtensions('peer', keyType), ...sanExtension(options.hosts)],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyToPem(keys.privateKey), serialHex };
}
