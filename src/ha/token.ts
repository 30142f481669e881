/**
 * K3s join tokens.
 * - Secure (full): `K10<ca-hash>::<username>:<password>`; `<ca-hash>` is 64 lowercase hex chars: the sha256
 *   of the CA PEM file's bytes when it holds one certificate, or of the root certificate's DER when it holds
 *   a chain. The server token's username is `server`.
 * - Short: just the password (the CA is then trusted without pinning); `<user>:<password>` after `K10::`.
 * - Bootstrap (kubeadm style, agents only): `[a-z0-9]{6}.[a-z0-9]{16}`, alone or after `K10<hash>::`.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { secureRandomBytes } from '../platform/hash.js';

/** Prefix of secure tokens. */
export const TOKEN_PREFIX = 'K10';
/** Length of the hex CA hash in a secure token. */
export const CA_HASH_HEX_LENGTH = 64;
/** Username in server tokens. */
export const SERVER_TOKEN_USERNAME = 'server';
/** Random bytes in a generated secret (hex-encoded: twice as many characters). */
export const TOKEN_SECRET_BYTES = 16;

const BOOTSTRAP_TOKEN_PATTERN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
const PEM_CERT_PATTERN = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Thrown for a token that cannot be parsed. */
export class TokenFormatError extends Error {
  override readonly name = 'TokenFormatError';
}

/** Thrown when a token's CA hash does not match the CA presented by the server. */
export class TokenCaHashError extends Error {
  override readonly name = 'TokenCaHashError';
}

/** A parsed token. */
export interface ParsedToken {
  /** Lowercase hex sha256 pinned by a secure token; undefined for short tokens. */
  caHash?: string;
  /** '' for a bare short token (K3s then uses `server` for server joins). */
  username: string;
  password: string;
  /** Set instead of username/password for bootstrap tokens. */
  bootstrapToken?: string;
}

/**
 * Parses a token in any of K3s's forms.
 * @throws TokenFormatError with K3s's wording: `token must not be empty`, `invalid token CA hash length`,
 *   `invalid token format`.
 */
export function parseToken(token: string): ParsedToken {
  if (token.length === 0) throw new TokenFormatError('token must not be empty');
  let rest = token;
  if (!rest.startsWith(TOKEN_PREFIX)) {
    rest = BOOTSTRAP_TOKEN_PATTERN.test(rest) ? `::${rest}` : `:::${rest}`;
  } else {
    rest = rest.slice(TOKEN_PREFIX.length);
  }
  let caHash: string | undefined;
  let creds = rest;
  const split = rest.indexOf('::');
  if (split >= 0) {
    const hash = rest.slice(0, split);
    if (hash.length > 0 && hash.length !== CA_HASH_HEX_LENGTH) throw new TokenFormatError('invalid token CA hash length');
    if (hash.length > 0) caHash = hash.toLowerCase();
    creds = rest.slice(split + 2);
  }
  const hashPart = caHash !== undefined ? { caHash } : {};
  if (BOOTSTRAP_TOKEN_PATTERN.test(creds)) return { ...hashPart, username: '', password: '', bootstrapToken: creds };
  const colon = creds.indexOf(':');
  if (colon < 0 || colon === creds.length - 1) throw new TokenFormatError('invalid token format');
  return { ...hashPart, username: creds.slice(0, colon), password: creds.slice(colon + 1) };
}

/**
 * The CA hash K3s puts in secure tokens for a CA bundle (PEM bytes): sha256 of the bytes for a single
 * certificate, else sha256 of the DER of the bundle's self-signed root (falling back to the bytes).
 */
export function caHashOf(caPem: Uint8Array | string): string {
  const bytes = typeof caPem === 'string' ? Buffer.from(caPem, 'utf8') : Buffer.from(caPem);
  const blocks = bytes.toString('utf8').match(PEM_CERT_PATTERN) ?? [];
  let hashed: Buffer = bytes;
  if (blocks.length > 1) {
    for (const block of blocks.slice(1)) {
      const cert = new X509Certificate(block);
      if (cert.issuer === cert.subject) { hashed = cert.raw; break; }
    }
  }
  return createHash('sha256').update(hashed).digest('hex');
}

/** Formats a secure token `K10<hash>::<username>:<password>`. Throws TokenFormatError on an empty password. */
export function formatToken(caPem: Uint8Array | string, password: string,
  username: string = SERVER_TOKEN_USERNAME): string {
  if (password.length === 0) throw new TokenFormatError('token password must not be empty');
  return `${TOKEN_PREFIX}${caHashOf(caPem)}::${username}:${password}`;
}

/** A fresh random secret (hex) for a new cluster's token. */
export function generateTokenSecret(): string {
  return Buffer.from(secureRandomBytes(TOKEN_SECRET_BYTES)).toString('hex');
}

/**
 * Checks a token's pinned CA hash against the CA bundle the server presented.
 * Returns 'verified' when the hash matches and 'unpinned' when the token carries no hash (short token).
 * @throws TokenFormatError on a malformed token, TokenCaHashError on a mismatch (K3s's wording).
 */
export function verifyCaHash(caPem: Uint8Array | string, token: string): 'verified' | 'unpinned' {
  const parsed = parseToken(token);
  if (parsed.caHash === undefined) return 'unpinned';
  const actual = caHashOf(caPem);
  if (actual !== parsed.caHash) {
    throw new TokenCaHashError(
      `token CA hash does not match the Cluster CA certificate hash: ${parsed.caHash} != ${actual}`);
  }
  return 'verified';
}
