/**
 * The generated PKI of an HA cluster (layout: ha-layout.ts). Two CAs, as K3s's etcd: `server-ca` signs the
 * client-port certificates (members' serving certs and operator client certs), `peer-ca` the peer certs,
 * so a client certificate can never talk raft. `--cluster-init` creates both CAs once; a joiner receives
 * them from the bootstrap endpoint; each member then issues its own leaf certificates.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createCa, issueCert, type CertificateAuthority } from '../pki/index.js';
import { type HaLayout, writeFileAtomic } from './ha-layout.js';

/** CN of the operator client certificate (K3s's etcd client cert uses the same). */
export const CLIENT_CERT_COMMON_NAME = 'etcd-client';
/** Validity of the generated leaf certificates (1 year, as K3s). */
export const LEAF_VALIDITY_DAYS = 365;
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

/** What a joiner needs to issue its own certificates: both CAs with their keys. */
export interface BootstrapMaterial {
  serverCa: CertificateAuthority;
  peerCa: CertificateAuthority;
}

/** Thrown when the PKI on disk is incomplete (a CA certificate without its key, ...). */
export class HaPkiError extends Error {
  override readonly name = 'HaPkiError';
  readonly code = 'ERR_HA_PKI';
}

async function readCa(certPath: string, keyPath: string): Promise<CertificateAuthority | undefined> {
  const hasCert = existsSync(certPath);
  const hasKey = existsSync(keyPath);
  if (!hasCert && !hasKey) return undefined;
  if (!hasCert || !hasKey) {
    throw new HaPkiError(`incomplete CA: ${hasCert ? keyPath : certPath} is missing (restore it or remove ${certPath})`);
  }
  return { certPem: await readFile(certPath, 'utf8'), keyPem: await readFile(keyPath, 'utf8') };
}

async function writeCa(certPath: string, keyPath: string, ca: CertificateAuthority): Promise<void> {
  await writeFileAtomic(keyPath, ca.keyPem, KEY_MODE);
  await writeFileAtomic(certPath, ca.certPem, CERT_MODE);
}

/**
 * Creates the two CAs if they do not exist yet; an existing CA is never regenerated.
 * @returns whether anything was created.
 * @throws HaPkiError for a half-present CA; fs errors.
 */
export async function ensureClusterCas(layout: HaLayout): Promise<boolean> {
  let created = false;
  if (await readCa(layout.serverCaCert, layout.serverCaKey) === undefined) {
    await writeCa(layout.serverCaCert, layout.serverCaKey, await createCa({ commonName: 'tetcd-server-ca' }));
    created = true;
  }
  if (await readCa(layout.peerCaCert, layout.peerCaKey) === undefined) {
    await writeCa(layout.peerCaCert, layout.peerCaKey, await createCa({ commonName: 'tetcd-peer-ca' }));
    created = true;
  }
  return created;
}

/**
 * Reads both CAs (what the bootstrap endpoint serves).
 * @throws HaPkiError when a CA is missing; fs errors.
 */
export async function readBootstrapMaterial(layout: HaLayout): Promise<BootstrapMaterial> {
  const serverCa = await readCa(layout.serverCaCert, layout.serverCaKey);
  const peerCa = await readCa(layout.peerCaCert, layout.peerCaKey);
  if (serverCa === undefined || peerCa === undefined) throw new HaPkiError(`no cluster CA in ${layout.tlsDir}`);
  return { serverCa, peerCa };
}

/** Writes the CAs received from the bootstrap endpoint (a joiner). Throws fs errors. */
export async function installBootstrapMaterial(layout: HaLayout, material: BootstrapMaterial): Promise<void> {
  await writeCa(layout.serverCaCert, layout.serverCaKey, material.serverCa);
  await writeCa(layout.peerCaCert, layout.peerCaKey, material.peerCa);
}

/** The SANs of a member's certificates: loopback, the host name, the URL hosts and every --tls-san. */
export function memberSans(hostName: string, urlHosts: readonly string[], tlsSans: readonly string[]): string[] {
  const sans = ['127.0.0.1', 'localhost', hostName, ...urlHosts, ...tlsSans]
    .map((s) => s.replace(/^\[(.*)\]$/, '$1'))
    .filter((s) => s !== '' && s !== '0.0.0.0' && s !== '::');
  return [...new Set(sans)];
}

/**
 * Issues this member's server, peer and operator client certificates when absent (existing ones are kept).
 * @returns the names of the certificates issued.
 * @throws HaPkiError when the CAs are missing; fs and signing errors.
 */
export async function ensureMemberCerts(layout: HaLayout, memberName: string,
  sans: readonly string[]): Promise<string[]> {
  const { serverCa, peerCa } = await readBootstrapMaterial(layout);
  const issued: string[] = [];
  const ensure = async (label: string, certPath: string, keyPath: string,
    make: () => ReturnType<typeof issueCert>): Promise<void> => {
    if (existsSync(certPath) && existsSync(keyPath)) return;
    const cert = await make();
    await writeFileAtomic(keyPath, cert.keyPem, KEY_MODE);
    await writeFileAtomic(certPath, cert.certPem, CERT_MODE);
    issued.push(label);
  };
  await ensure('server', layout.serverCert, layout.serverKey, () => issueCert(serverCa,
    { commonName: memberName, sans, usage: 'peer', validityDays: LEAF_VALIDITY_DAYS }));
  await ensure('peer', layout.peerCert, layout.peerKey, () => issueCert(peerCa,
    { commonName: memberName, sans, usage: 'peer', validityDays: LEAF_VALIDITY_DAYS }));
  await ensure('client', layout.clientCert, layout.clientKey, () => issueCert(serverCa,
    { commonName: CLIENT_CERT_COMMON_NAME, usage: 'client', validityDays: LEAF_VALIDITY_DAYS }));
  return issued;
}
