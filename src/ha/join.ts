/**
 * Joining an HA cluster by `--server URL --token T` (K3s's sequence, docs/k3s-ha.md):
 * 1. GET /cacerts without verifying the server; check its sha256 against the token's pin (a short token
 *    trusts it blindly, with a warning);
 * 2. GET /v1-tetcd/server-bootstrap with basic auth `server:<secret>`, verifying the server with that CA;
 * 3. only then write anything: the CAs, this member's certificates, the token;
 * 4. MemberList through the server with the new client certificate; add this member as a learner unless it
 *    is already listed (a join interrupted after the add); a name used by another peer URL is refused;
 * 5. return the initial cluster (all members) for a start with `--initial-cluster-state existing`.
 */
import { GrpcStatus } from '../base/errors.js';
import type { Logger } from '../platform/logger.js';
import { EtcdClient, EtcdClientError, type pb } from '../client/index.js';
import { type HaLayout, writeFileAtomic } from './ha-layout.js';
import { type BootstrapMaterial, ensureMemberCerts, installBootstrapMaterial } from './ha-pki.js';
import { CACERTS_PATH, SERVER_BOOTSTRAP_PATH } from './bootstrap-handler.js';
import { joinGet } from './join-http.js';
import {
  SERVER_TOKEN_USERNAME, TokenCaHashError, TokenFormatError, formatToken, parseToken, verifyCaHash,
} from './token.js';

/** Time allowed for each bootstrap HTTP request. */
export const JOIN_HTTP_TIMEOUT_MS = 10_000;
/** Time allowed to get this member added (retries while the cluster already has a learner). */
export const JOIN_MEMBER_ADD_TIMEOUT_MS = 120_000;
/** Pause between MemberAdd attempts refused as retryable. */
const MEMBER_ADD_RETRY_MS = 1_000;

/** A refused or failed join; `message` is what the operator sees. */
export class JoinError extends Error {
  override readonly name = 'JoinError';
  readonly code = 'ERR_HA_JOIN';
}

export interface JoinOptions {
  /** The existing member's client URL (https://host:port). */
  serverUrl: string;
  token: string;
  layout: HaLayout;
  memberName: string;
  /** This member's advertised peer URLs. */
  peerUrls: readonly string[];
  /** SANs of this member's certificates. */
  sans: readonly string[];
  logger: Logger;
  memberAddTimeoutMs?: number;
  /** Time allowed for each bootstrap request and gRPC call (default JOIN_HTTP_TIMEOUT_MS). */
  requestTimeoutMs?: number;
}

export interface JoinResult {
  initialCluster: Array<{ name: string; peerUrls: string[] }>;
  /** True when this member was already listed (no MemberAdd sent). */
  alreadyMember: boolean;
}

/**
 * Runs the join sequence. Nothing is written before the CA hash and the secret are accepted.
 * @throws JoinError with the operator's message (CA hash mismatch, token rejected, duplicate name, ...).
 */
export async function joinCluster(options: JoinOptions): Promise<JoinResult> {
  const base = serverBaseUrl(options.serverUrl);
  let parsed;
  try {
    parsed = parseToken(options.token);
  } catch (error) {
    if (error instanceof TokenFormatError) throw new JoinError(`invalid token: ${error.message}`);
    throw error;
  }
  const caPem = await fetchCaBundle(base, options.token, options.logger);
  const username = parsed.username === '' ? SERVER_TOKEN_USERNAME : parsed.username;
  const material = await fetchBootstrap(base, caPem, `${username}:${parsed.password}`);
  await installBootstrapMaterial(options.layout, material);
  await ensureMemberCerts(options.layout, options.memberName, options.sans);
  await writeFileAtomic(options.layout.tokenFile, `${formatToken(material.serverCa.certPem, parsed.password)}\n`, 0o600);
  return await addSelf(base, options);
}

function serverBaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new JoinError(`invalid --server URL ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'https:') throw new JoinError(`--server must be an https:// URL, got ${raw}`);
  return url;
}

async function get(base: URL, path: string,
  options: Parameters<typeof joinGet>[1]): Promise<{ status: number; body: string }> {
  const url = new URL(path, base);
  try {
    return await joinGet(url, options);
  } catch (error) {
    throw new JoinError(`cannot reach ${url.origin}${path}: ${(error as Error).message}`);
  }
}

async function fetchCaBundle(base: URL, token: string, logger: Logger): Promise<string> {
  const answer = await get(base, CACERTS_PATH, { timeoutMs: JOIN_HTTP_TIMEOUT_MS });
  if (answer.status !== 200) throw new JoinError(`GET ${CACERTS_PATH} answered HTTP ${answer.status}`);
  try {
    if (verifyCaHash(answer.body, token) === 'unpinned') {
      logger.warn({ server: base.origin }, 'short token: trusting the server\'s CA without checking its hash; use the full K10 token');
    }
  } catch (error) {
    if (error instanceof TokenCaHashError) {
      throw new JoinError(`token CA hash does not match the server's CA (${error.message})`);
    }
    throw error;
  }
  return answer.body;
}

async function fetchBootstrap(base: URL, caPem: string, basicAuth: string): Promise<BootstrapMaterial> {
  const answer = await get(base, SERVER_BOOTSTRAP_PATH, { timeoutMs: JOIN_HTTP_TIMEOUT_MS, caPem, basicAuth });
  if (answer.status === 401) throw new JoinError('token rejected by server (HTTP 401 from the bootstrap endpoint)');
  if (answer.status !== 200) throw new JoinError(`GET ${SERVER_BOOTSTRAP_PATH} answered HTTP ${answer.status}`);
  let material: BootstrapMaterial;
  try {
    material = JSON.parse(answer.body) as BootstrapMaterial;
  } catch {
    throw new JoinError(`GET ${SERVER_BOOTSTRAP_PATH} answered invalid JSON`);
  }
  for (const ca of [material.serverCa, material.peerCa]) {
    if (typeof ca?.certPem !== 'string' || typeof ca.keyPem !== 'string') {
      throw new JoinError(`GET ${SERVER_BOOTSTRAP_PATH} answered JSON without the CA material`);
    }
  }
  if (material.serverCa.certPem !== caPem) throw new JoinError('the bootstrap CA differs from the one served by /cacerts');
  return material;
}

/** MemberList, then MemberAdd as a learner unless already listed. */
async function addSelf(base: URL, options: JoinOptions): Promise<JoinResult> {
  const { readFile } = await import('node:fs/promises');
  const layout = options.layout;
  const timeoutMs = options.requestTimeoutMs ?? JOIN_HTTP_TIMEOUT_MS;
  const client = new EtcdClient({ endpoints: [`https://${base.host}`], dialTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs,
    tls: { ca: await readFile(layout.serverCaCert), cert: await readFile(layout.clientCert),
      key: await readFile(layout.clientKey) } });
  try {
    const { members, added } = await ensureMember(client, options);
    if (added) {
      options.logger.info({ name: options.memberName, 'peer-urls': options.peerUrls, server: base.origin },
        'added this member to the cluster as a learner');
    }
    const initialCluster = members.map((m) => ({
      name: m.name !== '' ? m.name : sameUrls(m.peerURLs, options.peerUrls) ? options.memberName : '',
      peerUrls: [...m.peerURLs],
    })).filter((m) => m.name !== '');
    return { initialCluster, alreadyMember: !added };
  } catch (error) {
    if (error instanceof JoinError) throw error;
    throw new JoinError(`joining through ${base.origin} failed: ${(error as Error).message}`);
  } finally {
    client.close();
  }
}

function sameUrls(a: readonly string[], b: readonly string[]): boolean {
  return [...a].sort().join(',') === [...b].sort().join(',');
}

/** This member in the list (by name or, unstarted, by peer URL); throws JoinError on a conflict. */
function findSelf(members: readonly pb.Member[], options: Pick<JoinOptions, 'memberName' | 'peerUrls'>):
  pb.Member | undefined {
  for (const m of members) {
    const urlsMatch = sameUrls(m.peerURLs, options.peerUrls);
    if (m.name === options.memberName && !urlsMatch) {
      throw new JoinError(`duplicate member name '${options.memberName}': member ${m.ID.toString(16)} ` +
        `already uses it with peer URLs ${m.peerURLs.join(',')}; choose another --name`);
    }
    if (urlsMatch && m.name !== '' && m.name !== options.memberName) {
      throw new JoinError(`peer URL ${options.peerUrls.join(',')} already belongs to member '${m.name}'`);
    }
    if (urlsMatch) return m;
  }
  return undefined;
}

/**
 * Lists the members and adds this one as a learner unless it is listed (by peer URL) already. Transient
 * refusals (another learner still catching up, no leader, a timeout, a lost connection) are retried until
 * JOIN_MEMBER_ADD_TIMEOUT_MS; each retry lists first, so a MemberAdd that timed out but was applied is found
 * instead of being added twice. Throws the last error, or JoinError on a name/URL conflict.
 */
export async function ensureMember(client: Pick<EtcdClient, 'memberList' | 'memberAdd'>,
  options: Pick<JoinOptions, 'memberName' | 'peerUrls' | 'logger' | 'memberAddTimeoutMs'>):
  Promise<{ members: pb.Member[]; added: boolean }> {
  const deadline = Date.now() + (options.memberAddTimeoutMs ?? JOIN_MEMBER_ADD_TIMEOUT_MS);
  for (;;) {
    try {
      const members = (await client.memberList({ linearizable: true })).members;
      if (findSelf(members, options) !== undefined) return { members, added: false };
      return { members: (await client.memberAdd({ peerURLs: [...options.peerUrls], isLearner: true })).members,
        added: true };
    } catch (error) {
      if (!isTransient(error) || Date.now() >= deadline) throw error;
      options.logger.info({ error: (error as Error).message }, 'cannot add this member yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, MEMBER_ADD_RETRY_MS));
    }
  }
}

/** An error after which listing and adding again is safe and may succeed. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof EtcdClientError)) return false;
  if (error.etcdCode !== undefined) {
    return ['ERR_TOO_MANY_LEARNERS', 'ERR_UNHEALTHY', 'ERR_NO_LEADER', 'ERR_LEADER_CHANGED', 'ERR_TIMEOUT',
      'ERR_TIMEOUT_DUE_TO_LEADER_FAIL', 'ERR_TIMEOUT_DUE_TO_CONNECTION_LOST', 'ERR_TIMEOUT_WAIT_APPLIED_INDEX',
    ].includes(error.etcdCode);
  }
  return error.grpcCode === GrpcStatus.UNAVAILABLE || error.grpcCode === GrpcStatus.DEADLINE_EXCEEDED;
}
