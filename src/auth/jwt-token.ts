/**
 * JWT tokens (`--auth-token jwt,pub-key=...,priv-key=...,sign-method=RS256,ttl=5m`) signed and verified
 * with node:crypto: RS256/384/512 (PKCS#1 v1.5), PS256/384/512 (RSA-PSS, salt = hash length),
 * ES256/384/512 (ECDSA, r||s signatures) and HS256/384/512 (HMAC, the key file's bytes as secret).
 * Claims as etcd: `username`, `revision` (the auth revision at issue; older than the store's revision
 * means ErrAuthOldRevision at use) and `exp`. Stateless: every member verifies any member's token.
 */
import {
  createHmac, createPrivateKey, createPublicKey, sign, timingSafeEqual, verify, constants,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AssignContext, AuthInfo, TokenProvider } from './types.js';

export const JWT_TTL_MS_DEFAULT = 5 * 60 * 1000;
const HASHES = { '256': 'sha256', '384': 'sha384', '512': 'sha512' } as const;
type HashBits = keyof typeof HASHES;

export interface JwtOptions {
  signMethod: string;
  /** Path of the PEM public key (RS/PS/ES) or of the HMAC secret (HS). */
  pubKeyPath?: string;
  /** Path of the PEM private key (RS/PS/ES) or of the HMAC secret (HS); without it tokens are verify-only. */
  privKeyPath?: string;
  ttlMs: number;
}

interface Method { family: 'RS' | 'PS' | 'ES' | 'HS'; hash: (typeof HASHES)[HashBits] }

function parseMethod(name: string): Method {
  const match = /^(RS|PS|ES|HS)(256|384|512)$/.exec(name);
  if (match === null) throw new Error(`auth: invalid auth signature method "${name}"`);
  return { family: match[1] as Method['family'], hash: HASHES[match[2] as HashBits] };
}

function base64url(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

export class JwtTokenProvider implements TokenProvider {
  readonly kind = 'jwt';
  private readonly method: Method;
  private readonly signKey: KeyObject | Buffer | undefined;
  private readonly verifyKey: KeyObject | Buffer;

  /** Throws Error on an unknown method, missing or unreadable keys. */
  constructor(private readonly options: JwtOptions, private readonly nowMs: () => number = () => Date.now()) {
    this.method = parseMethod(options.signMethod);
    if (this.method.family === 'HS') {
      const path = options.privKeyPath ?? options.pubKeyPath;
      if (path === undefined) throw new Error('auth: missing key data');
      this.signKey = readFileSync(path);
      this.verifyKey = this.signKey;
      return;
    }
    this.signKey = options.privKeyPath === undefined ? undefined : createPrivateKey(readFileSync(options.privKeyPath));
    if (options.pubKeyPath !== undefined) this.verifyKey = createPublicKey(readFileSync(options.pubKeyPath));
    else if (this.signKey !== undefined) this.verifyKey = createPublicKey(this.signKey as KeyObject);
    else throw new Error('auth: missing key data');
  }

  info(token: string, _currentRevision: number): AuthInfo | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [headerText, payloadText, signatureText] = parts as [string, string, string];
    try {
      const header = JSON.parse(Buffer.from(headerText, 'base64url').toString('utf8')) as { alg?: unknown };
      if (header.alg !== this.options.signMethod) return undefined;
      if (!this.verifySignature(`${headerText}.${payloadText}`, Buffer.from(signatureText, 'base64url'))) return undefined;
      const claims = JSON.parse(Buffer.from(payloadText, 'base64url').toString('utf8')) as Record<string, unknown>;
      const { username, revision, exp } = claims;
      if (typeof username !== 'string' || typeof revision !== 'number' || !Number.isSafeInteger(revision)) return undefined;
      if (typeof exp === 'number' && exp * 1000 <= this.nowMs()) return undefined;
      return { username, revision };
    } catch {
      return undefined;
    }
  }

  assign(username: string, revision: number, _context: AssignContext): string {
    if (this.signKey === undefined) throw new Error("auth: token signing attempted with verify-only key");
    const header = base64url(JSON.stringify({ alg: this.options.signMethod, typ: 'JWT' }));
    const exp = Math.floor((this.nowMs() + this.options.ttlMs) / 1000);
    const payload = base64url(JSON.stringify({ exp, revision, username }));
    const input = `${header}.${payload}`;
    return `${input}.${base64url(this.signature(input))}`;
  }

  genTokenPrefix(): string {
    return '';
  }

  invalidateUser(_username: string): void {
    // Stateless: a JWT stays valid until it expires or the auth revision moves past it.
  }

  enable(): void { /* stateless */ }
  disable(): void { /* stateless */ }

  private signature(input: string): Uint8Array {
    const { family, hash } = this.method;
    if (family === 'HS') return createHmac(hash, this.signKey as Buffer).update(input).digest();
    const key = this.signKey as KeyObject;
    if (family === 'RS') return sign(hash, Buffer.from(input), key);
    if (family === 'PS') {
      return sign(hash, Buffer.from(input), { key, padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
    }
    return sign(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  }

  private verifySignature(input: string, signature: Buffer): boolean {
    const { family, hash } = this.method;
    if (family === 'HS') {
      const expected = createHmac(hash, this.verifyKey as Buffer).update(input).digest();
      return expected.length === signature.length && timingSafeEqual(expected, signature);
    }
    const key = this.verifyKey as KeyObject;
    if (family === 'RS') return verify(hash, Buffer.from(input), key, signature);
    if (family === 'PS') {
      return verify(hash, Buffer.from(input), { key, padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
    }
    return verify(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, signature);
  }
}
