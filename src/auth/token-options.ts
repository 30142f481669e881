/**
 * Parses `--auth-token` as etcd: `simple`, or `jwt,key=value,...` with pub-key, priv-key, sign-method
 * and ttl (a Go duration such as 5m, 30s, 1h). Builds the matching TokenProvider.
 */
import { JWT_TTL_MS_DEFAULT, JwtTokenProvider } from './jwt-token.js';
import { SimpleTokenProvider } from './simple-token.js';
import type { TokenProvider } from './types.js';

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go-style duration ("5m", "1h30m", "250ms") in milliseconds. Throws Error when malformed. */
export function parseGoDurationMs(text: string): number {
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(pattern)) {
    total += Number(match[1]) * DURATION_UNIT_MS[match[2]!]!;
    consumed += match[0].length;
  }
  if (text === '' || consumed !== text.length) throw new Error(`invalid duration "${text}"`);
  return total;
}

/**
 * A token provider for `--auth-token` (`simpleTtlMs` from --auth-token-ttl). Throws Error with etcd's
 * "auth: invalid auth options" for malformed options or an unknown token type.
 */
export function createTokenProvider(spec: string, simpleTtlMs: number): TokenProvider {
  const [type, ...rest] = spec.split(',');
  const options = new Map<string, string>();
  for (const part of rest) {
    const pair = part.split('=');
    if (pair.length !== 2 || options.has(pair[0]!)) throw new Error('auth: invalid auth options');
    options.set(pair[0]!, pair[1]!);
  }
  if (type === 'simple') return new SimpleTokenProvider(simpleTtlMs);
  if (type === 'jwt') {
    const ttl = options.get('ttl');
    const jwt: ConstructorParameters<typeof JwtTokenProvider>[0] = {
      signMethod: options.get('sign-method') ?? '',
      ttlMs: ttl === undefined ? JWT_TTL_MS_DEFAULT : parseGoDurationMs(ttl),
    };
    const pub = options.get('pub-key');
    const priv = options.get('priv-key');
    if (pub !== undefined) jwt.pubKeyPath = pub;
    if (priv !== undefined) jwt.privKeyPath = priv;
    return new JwtTokenProvider(jwt);
  }
  throw new Error('auth: invalid auth options');
}

/** The auth flags the server takes (etcd's --auth-token, --bcrypt-cost, --auth-token-ttl). */
export interface AuthOptions {
  /** `simple` (default) or `jwt,pub-key=...,priv-key=...,sign-method=...,ttl=...`. */
  authToken?: string;
  /** bcrypt cost for new password hashes (default 10). */
  bcryptCost?: number;
  /** Idle lifetime of a simple token in seconds (default 300). */
  authTokenTtlSeconds?: number;
}
