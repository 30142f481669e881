/**
 * TLS settings from etcd's flags to node:tls options, for the client port and the peer port (etcd's
 * transport.TLSInfo): certificate files, trusted CA, client-certificate auth, CRL checks by serial
 * (re-read when the file changes, as etcd reads it per connection), Go cipher-suite names mapped to
 * OpenSSL's, TLS versions, and the allowed CN / hostname checks.
 */
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { lookup } from 'node:dns/promises';

/** One side's TLS flags (client: --cert-file ...; peer: --peer-cert-file ...). */
export interface TlsInfo {
  certFile: string;
  keyFile: string;
  trustedCaFile: string;
  /** Require and verify client certificates against trustedCaFile. */
  clientCertAuth: boolean;
  crlFile: string;
  /** Peer listener only: the client certificate's CN must equal this (etcd --peer-cert-allowed-cn). */
  allowedCn: string;
  /** The client certificate must be valid for this hostname (--*-cert-allowed-hostname). */
  allowedHostname: string;
  /** Self-signed (auto-TLS): outgoing connections do not verify the server (etcd: InsecureSkipVerify). */
  selfSigned: boolean;
}

/** Settings shared by both sides: --cipher-suites, --tls-min-version, --tls-max-version. */
export interface TlsProtocolSettings {
  /** OpenSSL cipher list ('' = Node's defaults). */
  ciphers: string;
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion | undefined;
}

export const EMPTY_TLS_INFO: TlsInfo = {
  certFile: '', keyFile: '', trustedCaFile: '', clientCertAuth: false, crlFile: '', allowedCn: '',
  allowedHostname: '', selfSigned: false,
};

export const DEFAULT_TLS_PROTOCOL: TlsProtocolSettings = { ciphers: '', minVersion: 'TLSv1.2', maxVersion: undefined };

/** True when no certificate is configured (etcd's TLSInfo.Empty()). */
export function tlsInfoEmpty(info: TlsInfo): boolean {
  return info.certFile === '' && info.keyFile === '';
}

/** Go crypto/tls names (as etcd's --cipher-suites takes them) → OpenSSL names. */
const GO_CIPHER_SUITES: ReadonlyMap<string, string> = new Map([
  ['TLS_RSA_WITH_RC4_128_SHA', 'RC4-SHA'],
  ['TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'DES-CBC3-SHA'],
  ['TLS_RSA_WITH_AES_128_CBC_SHA', 'AES128-SHA'],
  ['TLS_RSA_WITH_AES_256_CBC_SHA', 'AES256-SHA'],
  ['TLS_RSA_WITH_AES_128_CBC_SHA256', 'AES128-SHA256'],
  ['TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256'],
  ['TLS_RSA_WITH_AES_256_GCM_SHA384', 'AES256-GCM-SHA384'],
  ['TLS_ECDHE_ECDSA_WITH_RC4_128_SHA', 'ECDHE-ECDSA-RC4-SHA'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'ECDHE-ECDSA-AES128-SHA'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'ECDHE-ECDSA-AES256-SHA'],
  ['TLS_ECDHE_RSA_WITH_RC4_128_SHA', 'ECDHE-RSA-RC4-SHA'],
  ['TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA', 'ECDHE-RSA-DES-CBC3-SHA'],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA'],
  ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'ECDHE-RSA-AES256-SHA'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 'ECDHE-ECDSA-AES128-SHA256'],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 'ECDHE-RSA-AES128-SHA256'],
  ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384'],
  ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305'],
  ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
  ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305'],
  ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
  // TLS 1.3 suites: Go does not let them be configured and always enables all three; OpenSSL takes them.
  ['TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'],
  ['TLS_AES_256_GCM_SHA384', 'TLS_AES_256_GCM_SHA384'],
  ['TLS_CHACHA20_POLY1305_SHA256', 'TLS_CHACHA20_POLY1305_SHA256'],
]);

/** Suites the OpenSSL in this Node build cannot negotiate at its default security level (RC4, 3DES). */
const OPENSSL_UNAVAILABLE = new Set(['RC4-SHA', 'ECDHE-ECDSA-RC4-SHA', 'ECDHE-RSA-RC4-SHA', 'DES-CBC3-SHA',
  'ECDHE-RSA-DES-CBC3-SHA']);

/**
 * Maps a comma-separated list of Go cipher-suite names to an OpenSSL cipher string.
 * @throws Error `unexpected TLS cipher suite "NAME"` (etcd's message) for a name Go does not know, or
 *   `TLS cipher suite "NAME" is not available in this Node.js/OpenSSL build` for RC4/3DES suites.
 */
export function parseCipherSuites(list: string): string {
  if (list.trim() === '') return '';
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return names.map((name) => {
    const openssl = GO_CIPHER_SUITES.get(name);
    if (openssl === undefined) throw new Error(`unexpected TLS cipher suite "${name}"`);
    if (OPENSSL_UNAVAILABLE.has(openssl)) {
      throw new Error(`TLS cipher suite "${name}" is not available in this Node.js/OpenSSL build`);
    }
    return openssl;
  }).join(':');
}

/**
 * Maps etcd's version names ("TLS1.2", "TLS1.3"; "" = default) to node's.
 * @throws Error for other names (etcd 3.5's wording).
 */
export function parseTlsVersion(name: string, flag: string): tls.SecureVersion | undefined {
  if (name === '') return undefined;
  if (name === 'TLS1.2') return 'TLSv1.2';
  if (name === 'TLS1.3') return 'TLSv1.3';
  throw new Error(`unexpected TLS version "${name}" for --${flag} (supported versions: TLS1.2 and TLS1.3)`);
}

/**
 * Builds --cipher-suites / --tls-min-version / --tls-max-version, validated as etcd 3.5 does.
 * @throws Error on an unknown suite or version, max < min, or suites with TLS 1.3 only.
 */
export function buildTlsProtocol(cipherSuites: string, minVersion: string, maxVersion: string): TlsProtocolSettings {
  const ciphers = parseCipherSuites(cipherSuites);
  const min = parseTlsVersion(minVersion, 'tls-min-version') ?? 'TLSv1.2';
  const max = parseTlsVersion(maxVersion, 'tls-max-version');
  if (max !== undefined && max < min) throw new Error('--tls-max-version must be greater than or equal to --tls-min-version');
  if (ciphers !== '' && min === 'TLSv1.3') {
    throw new Error('cipher suites cannot be configured when only TLS1.3 is enabled');
  }
  return { ciphers, minVersion: min, maxVersion: max };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

function protocolOptions(protocol: TlsProtocolSettings): tls.SecureContextOptions {
  return { minVersion: protocol.minVersion,
    ...(protocol.maxVersion === undefined ? {} : { maxVersion: protocol.maxVersion }),
    ...(protocol.ciphers === '' ? {} : { ciphers: protocol.ciphers }) };
}

/**
 * Options for a TLS server (listener) from `info`. Certificates are checked in the verify step;
 * CRL / CN / hostname are checked after the handshake by `createPeerCertificateCheck`.
 * @throws Error if a file cannot be read or is not valid PEM.
 */
export function serverTlsOptions(info: TlsInfo, protocol: TlsProtocolSettings): tls.TlsOptions {
  if (tlsInfoEmpty(info)) throw new Error('KeyFile and CertFile are not presented');
  const options: tls.TlsOptions = {
    cert: readPem(info.certFile, 'cert file'), key: readPem(info.keyFile, 'key file'),
    requestCert: info.clientCertAuth, rejectUnauthorized: info.clientCertAuth,
    ...protocolOptions(protocol),
  };
  if (info.trustedCaFile !== '') options.ca = readPem(info.trustedCaFile, 'trusted CA file');
  tls.createSecureContext(options); // validates the PEM now rather than at the first connection
  return options;
}

/**
 * Options for outgoing TLS connections (peer senders, join-time requests) presenting `info`'s cert.
 * A self-signed (auto-TLS) side does not verify the server, as etcd.
 * @throws Error if a file cannot be read.
 */
export function clientTlsOptions(info: TlsInfo, protocol: TlsProtocolSettings): tls.ConnectionOptions {
  const options: tls.ConnectionOptions = { rejectUnauthorized: !info.selfSigned, ...protocolOptions(protocol) };
  if (!tlsInfoEmpty(info)) {
    options.cert = readPem(info.certFile, 'cert file');
    options.key = readPem(info.keyFile, 'key file');
  }
  if (info.trustedCaFile !== '') options.ca = readPem(info.trustedCaFile, 'trusted CA file');
  return options;
}

/** Reads one DER TLV at `offset`: tag, value bounds, and where the next TLV starts. */
function derAt(der: Uint8Array, offset: number): { tag: number; start: number; end: number } {
  if (offset + 2 > der.length) throw new Error('truncated DER');
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4 || start + octets > der.length) throw new Error('bad DER length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[start + i]!;
    start += octets;
  }
  if (start + length > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + length };
}

function derChildren(der: Uint8Array, start: number, end: number): Array<{ tag: number; start: number; end: number }> {
  const out = [];
  for (let at = start; at < end;) {
    const tlv = derAt(der, at);
    out.push(tlv);
    at = tlv.end;
  }
  return out;
}

/** Lower-case hex without leading zeros (the form serials are compared in). */
function serialKey(hex: string): string {
  const key = hex.replace(/[^0-9a-fA-F]/g, '').toLowerCase().replace(/^0+/, '');
  return key === '' ? '0' : key;
}

const DER_SEQUENCE = 0x30;
const DER_INTEGER = 0x02;

/**
 * The serial numbers a CRL (PEM "X509 CRL" or DER) revokes, as lower-case hex without leading zeros.
 * The signature is not verified: like etcd, tetcd checks presented serials against the operator's file.
 * @throws Error if the bytes are not a CRL.
 */
export function crlRevokedSerials(bytes: Buffer): Set<string> {
  const text = bytes.toString('latin1');
  const pem = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/.exec(text);
  const der = pem === null ? bytes : Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64');
  const list = derAt(der, 0);
  const tbs = list.tag === DER_SEQUENCE ? derChildren(der, list.start, list.end)[0] : undefined;
  if (tbs === undefined || tbs.tag !== DER_SEQUENCE) throw new Error('not a certificate revocation list');
  const fields = derChildren(der, tbs.start, tbs.end);
  let i = fields[0]?.tag === DER_INTEGER ? 1 : 0; // version
  i += 3; // signature algorithm, issuer, thisUpdate
  if (fields[i] !== undefined && (fields[i]!.tag === 0x17 || fields[i]!.tag === 0x18)) i++; // nextUpdate
  const serials = new Set<string>();
  const revoked = fields[i];
  if (revoked === undefined || revoked.tag !== DER_SEQUENCE) return serials;
  for (const entry of derChildren(der, revoked.start, revoked.end)) {
    const serial = derChildren(der, entry.start, entry.end)[0];
    if (serial === undefined || serial.tag !== DER_INTEGER) throw new Error('malformed revoked certificate entry');
    serials.add(serialKey(Buffer.from(der.subarray(serial.start, serial.end)).toString('hex')));
  }
  return serials;
}

/** A CRL file re-read whenever its size or mtime changes (etcd reads it on every connection). */
class CrlFile {
  private stamp = '';
  private serials = new Set<string>();

  constructor(private readonly path: string) {
    this.revoked(); // a missing or unreadable CRL fails at start-up
  }

  revoked(): Set<string> {
    const stat = statSync(this.path);
    const stamp = `${stat.size}:${stat.mtimeMs}`;
    if (stamp !== this.stamp) {
      this.serials = crlRevokedSerials(readFileSync(this.path));
      this.stamp = stamp;
    }
    return this.serials;
  }
}

/** etcd's checkCertSAN: a peer's client cert with SANs must name the address it connects from. */
async function checkSan(cert: tls.PeerCertificate, remoteAddress: string): Promise<string | undefined> {
  const sans = (cert.subjectaltname ?? '').split(', ').filter((s) => s !== '');
  const ips = sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice('IP Address:'.length));
  const dns = sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice('DNS:'.length));
  if (ips.length === 0 && dns.length === 0) return undefined;
  const remote = remoteAddress.replace(/^::ffff:/, '');
  if (ips.some((ip) => ip === remote)) return undefined;
  for (const name of dns) {
    try {
      const addresses = await lookup(name, { all: true });
      if (addresses.some((a) => a.address.replace(/^::ffff:/, '') === remote)) return undefined;
    } catch {
      // an unresolvable name does not match
    }
  }
  return `tls: "${remote}" does not match any of DNSNames ${JSON.stringify(dns)} or IPAddresses ${JSON.stringify(ips)}`;
}

/** Post-handshake checks of a connection's client certificate; resolves to a refusal reason or undefined. */
export type PeerCertificateCheck = (socket: tls.TLSSocket) => Promise<string | undefined>;

/**
 * The checks etcd runs on an accepted TLS connection: CRL (by serial), allowed CN or hostname, and for
 * the peer port the client certificate's SANs against the remote address.
 * @throws Error if the CRL file cannot be read or parsed (at construction).
 */
export function createPeerCertificateCheck(info: TlsInfo, options: { checkSan: boolean }): PeerCertificateCheck {
  const crl = info.crlFile === '' ? undefined : new CrlFile(info.crlFile);
  return async (socket) => {
    const cert = socket.getPeerCertificate();
    const present = cert !== null && typeof cert === 'object' && cert.raw !== undefined;
    if (!present) return undefined;
    if (crl !== undefined && crl.revoked().has(serialKey(cert.serialNumber))) {
      return `certificate with serial ${serialKey(cert.serialNumber)} revoked`;
    }
    if (info.allowedCn !== '' || info.allowedHostname !== '') {
      const cnOk = info.allowedCn !== '' && cert.subject?.CN === info.allowedCn;
      const hostOk = info.allowedHostname !== '' && tls.checkServerIdentity(info.allowedHostname, cert) === undefined;
      if (!cnOk && !hostOk) return 'client certificate authentication failed';
    }
    if (options.checkSan && socket.remoteAddress !== undefined && isIP(socket.remoteAddress) !== 0) {
      return await checkSan(cert, socket.remoteAddress);
    }
    return undefined;
  };
}
