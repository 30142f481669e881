/**
 * The bootstrap endpoint served on an HA member's client port (HTTPS; see docs/k3s-ha.md):
 * - `GET /cacerts`: the client-port CA bundle (PEM), no authentication: a joiner checks its sha256 against
 *   the hash pinned in its token before trusting anything else.
 * - `GET /v1-tetcd/server-bootstrap`: basic auth `server:<secret>` (constant-time compare, else 401):
 *   JSON `{"serverCa":{"certPem","keyPem"},"peerCa":{"certPem","keyPem"}}`, what a joiner needs to issue
 *   its own certificates.
 * - `GET /db/info`: the member list as K3s serves it, `{"members":[{"ID":"<decimal>","name","peerURLs",
 *   "clientURLs","isLearner"}]}`; basic auth or a verified client certificate.
 * These routes work for TLS clients without a certificate; the listener keeps every other route and gRPC
 * behind client-certificate authentication.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { SERVER_TOKEN_USERNAME } from './token.js';
import type { BootstrapMaterial } from './ha-pki.js';

export const CACERTS_PATH = '/cacerts';
export const SERVER_BOOTSTRAP_PATH = '/v1-tetcd/server-bootstrap';
export const DB_INFO_PATH = '/db/info';

/** The request fields the handler reads (node's IncomingMessage and the client listener's adapter fit). */
export interface BootstrapRequest {
  url?: string | undefined;
  method?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}
export interface BootstrapResponse {
  writeHead(status: number, headers?: Record<string, string>): unknown;
  end(body?: string): unknown;
}

/** One member as /db/info reports it. */
export interface DbInfoMember {
  id: bigint;
  name: string;
  peerUrls: readonly string[];
  clientUrls: readonly string[];
  isLearner: boolean;
}

export interface BootstrapHandlerOptions {
  /** The secret part of the server token. */
  secret: string;
  /** PEM served by /cacerts (the file whose hash the token pins). */
  caBundlePem: () => Promise<string>;
  material: () => Promise<BootstrapMaterial>;
  members: () => DbInfoMember[];
}

/**
 * Serves a bootstrap route and returns true, or returns false for any other path.
 * `verifiedClientCert`: the connection presented a certificate the client CA verified.
 */
export type BootstrapHandler = (request: BootstrapRequest, response: BootstrapResponse,
  verifiedClientCert: boolean) => boolean;

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };
const JSON_TYPE = { 'content-type': 'application/json' };

/** True when `header` is `Basic base64(server:<secret>)`; compares in constant time. */
export function basicAuthMatches(header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith('Basic ')) return false;
  const presented = Buffer.from(header.slice('Basic '.length).trim(), 'base64').toString('utf8');
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(`${SERVER_TOKEN_USERNAME}:${secret}`));
}

/** The /db/info body; ids are decimal strings (64-bit ids do not fit a JSON number). */
export function dbInfoJson(members: readonly DbInfoMember[]): string {
  return JSON.stringify({
    members: members.map((m) => ({ ID: m.id.toString(10), name: m.name, peerURLs: [...m.peerUrls],
      clientURLs: [...m.clientUrls], isLearner: m.isLearner })),
  });
}

/** Builds the handler. Never throws; failures answer 500. */
export function createBootstrapHandler(options: BootstrapHandlerOptions): BootstrapHandler {
  return (request, response, verifiedClientCert) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== CACERTS_PATH && path !== SERVER_BOOTSTRAP_PATH && path !== DB_INFO_PATH) return false;
    if (request.method !== 'GET') {
      response.writeHead(405, { ...TEXT, allow: 'GET' });
      response.end('Method Not Allowed\n');
      return true;
    }
    const authorized = basicAuthMatches(request.headers['authorization'], options.secret);
    if (path === CACERTS_PATH) {
      answer(response, options.caBundlePem().then((pem) => ({ body: pem, headers: TEXT })));
    } else if (path === SERVER_BOOTSTRAP_PATH ? !authorized : !(authorized || verifiedClientCert)) {
      response.writeHead(401, { ...TEXT, 'www-authenticate': 'Basic realm="tetcd"' });
      response.end('Unauthorized\n');
    } else if (path === SERVER_BOOTSTRAP_PATH) {
      answer(response, options.material().then((m) => ({ body: JSON.stringify(m), headers: JSON_TYPE })));
    } else {
      answer(response, Promise.resolve().then(() => ({ body: dbInfoJson(options.members()), headers: JSON_TYPE })));
    }
    return true;
  };
}

function answer(response: BootstrapResponse, body: Promise<{ body: string; headers: Record<string, string> }>): void {
  body.then(({ body: text, headers }) => {
    response.writeHead(200, headers);
    response.end(text);
  }, (error: unknown) => {
    response.writeHead(500, TEXT);
    response.end(`${error instanceof Error ? error.message : String(error)}\n`);
  });
}
