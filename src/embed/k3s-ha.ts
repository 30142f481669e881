/**
 * K3s-style HA on `tetcd server` (src/ha, docs/k3s-ha.md): `--cluster-init` / `--server --token`.
 * - prepareK3sHa: before the config is built, derives the https URLs, name, TLS files and initial cluster
 *   from the HA material it creates (init), fetches (join) or reuses (restart), rewriting the parsed flags;
 * - k3sBootstrapTls: adds the bootstrap endpoint (/cacerts, /v1-tetcd/server-bootstrap, /db/info) to the
 *   client listener, reachable without a client certificate;
 * - startK3sPromoter: the leader's learner promotion loop.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ClientListenerTls } from '../api/h2/client-listener.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { createLogger, LOG_LEVELS, type Logger, type LogLevel } from '../platform/logger.js';
import { createBootstrapHandler } from '../ha/bootstrap-handler.js';
import { HaFlagError, haOptionsFromFlags, type HaOptions } from '../ha/cluster-init-options.js';
import { prepareHaMember } from '../ha/cluster-init.js';
import { haLayout, type HaLayout } from '../ha/ha-layout.js';
import { readBootstrapMaterial } from '../ha/ha-pki.js';
import { startLearnerPromoter, type LearnerPromoter } from '../ha/promoter.js';
import { parseToken } from '../ha/token.js';
import { FlagError, parseDurationMs, parseUrlList, type ParsedFlags } from './flag-parser.js';
import type { ServerConfig } from './config.js';

export { joinRepeatedTlsSans } from '../ha/cluster-init-options.js';

/** Default HA URLs (etcd's ports, https, loopback). */
const HA_CLIENT_URL_DEFAULT = 'https://127.0.0.1:2379';
const HA_PEER_URL_DEFAULT = 'https://127.0.0.1:2380';
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/** True when the config runs in HA mode (prepareK3sHa set --cluster-init or --server). */
export function k3sHaEnabled(config: ServerConfig): boolean {
  const values = config.flagValues;
  return values !== undefined && (values.get('cluster-init') === 'true' || (values.get('server') ?? '') !== '');
}

/**
 * Prepares HA mode when --cluster-init or --server (TETCD_URL) is set, rewriting `flags` (URLs, name,
 * data dir, TLS files, initial cluster). Returns 'none' (not HA), 'ready', or 'refused' after logging why
 * (a refused join, conflicting material: exit 1).
 * @throws FlagError for inconsistent HA flags or an http:// URL.
 */
export async function prepareK3sHa(flags: ParsedFlags, env: NodeJS.ProcessEnv): Promise<'none' | 'ready' | 'refused'> {
  const get = (name: string): string => flags.values.get(name) ?? '';
  let options: HaOptions | undefined;
  try {
    options = haOptionsFromFlags(get, env, (raw) => parseDurationMs(raw, '-learner-promote-interval'));
  } catch (error) {
    if (error instanceof HaFlagError) throw new FlagError(error.message);
    throw error;
  }
  if (options === undefined) return 'none';
  if (options.mode === 'join') flags.values.set('server', options.serverUrl);
  const urls = haUrls(flags);
  const dataDir = get('data-dir') !== '' ? get('data-dir') : `${flags.explicit.has('name') ? get('name') : 'default'}.tetcd`;
  const level = get('log-level');
  const logger = createLogger((LOG_LEVELS as readonly string[]).includes(level) ? level as LogLevel : 'info');
  let member;
  try {
    member = await prepareHaMember({ options, dataDir, explicitName: flags.explicit.has('name') ? get('name') : undefined,
      peerUrls: urls.advertisePeer, urlHosts: urls.hosts, clientEndpoint: urls.etcdctlEndpoint, logger });
  } catch (error) {
    logger.fatal({ error: (error as Error).message }, (error as Error).message);
    return 'refused';
  }
  setFlags(flags, {
    'data-dir': dataDir, name: member.name,
    'initial-cluster': member.initialCluster.map((m) => m.peerUrls.map((u) => `${m.name}=${u}`).join(',')).join(','),
    'initial-cluster-state': member.initialClusterState,
    ...tlsFlagValues(member.layout),
  });
  return 'ready';
}

function setFlags(flags: ParsedFlags, values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    flags.values.set(name, value);
    flags.explicit.add(name);
  }
}

function tlsFlagValues(layout: HaLayout): Record<string, string> {
  return {
    'cert-file': layout.serverCert, 'key-file': layout.serverKey, 'trusted-ca-file': layout.serverCaCert,
    'client-cert-auth': 'true',
    'peer-cert-file': layout.peerCert, 'peer-key-file': layout.peerKey, 'peer-trusted-ca-file': layout.peerCaCert,
    'peer-client-cert-auth': 'true',
  };
}

/** https listen/advertise URLs (defaults, advertise derived from listen), refusing http://. */
function haUrls(flags: ParsedFlags): { advertisePeer: string[]; hosts: string[]; etcdctlEndpoint: string } {
  const pick = (name: string, fallback: () => string): URL[] => {
    const raw = flags.explicit.has(name) ? flags.values.get(name) ?? '' : fallback();
    const urls = parseUrlList(raw, `-${name}`);
    const plain = urls.find((u) => u.protocol !== 'https:');
    if (plain !== undefined) {
      throw new FlagError(`--${name}=${raw}: HA mode (--cluster-init / --server) serves TLS only; use https:// URLs`);
    }
    flags.values.set(name, urls.map((u) => u.origin).join(','));
    return urls;
  };
  const advertised = (urls: URL[]): string => urls.map((u) => (WILDCARD_HOSTS.has(u.hostname)
    ? `https://127.0.0.1:${u.port}` : u.origin)).join(',');
  const listenClient = pick('listen-client-urls', () => HA_CLIENT_URL_DEFAULT);
  const advertiseClient = pick('advertise-client-urls', () => advertised(listenClient));
  const listenPeer = pick('listen-peer-urls', () => HA_PEER_URL_DEFAULT);
  const advertisePeer = pick('initial-advertise-peer-urls', () => advertised(listenPeer));
  const first = listenClient[0]!;
  const loopback = ['127.0.0.1', 'localhost', ...WILDCARD_HOSTS].includes(first.hostname);
  return {
    advertisePeer: advertisePeer.map((u) => u.origin),
    hosts: [...listenClient, ...advertiseClient, ...listenPeer, ...advertisePeer].map((u) => u.hostname),
    etcdctlEndpoint: loopback ? `https://127.0.0.1:${first.port}` : advertiseClient[0]!.origin,
  };
}

/**
 * The client listener's TLS with the bootstrap endpoint added (HA mode only; else `tls` unchanged).
 * @throws Error when the token file cannot be read or parsed.
 */
export function k3sBootstrapTls(tls: ClientListenerTls | undefined, config: ServerConfig,
  server: EtcdServer): ClientListenerTls | undefined {
  if (tls === undefined || !k3sHaEnabled(config)) return tls;
  const layout = haLayout(config.dataDir);
  let secret: string;
  try {
    secret = parseToken(readFileSync(layout.tokenFile, 'utf8').trim()).password;
  } catch (error) {
    throw new Error(`HA mode needs the cluster token in ${layout.tokenFile}: ${(error as Error).message}`);
  }
  const handler = createBootstrapHandler({
    secret, caBundlePem: () => readFile(layout.serverCaCert, 'utf8'), material: () => readBootstrapMaterial(layout),
    members: () => server.memberList(),
  });
  return { ...tls, certlessHttp: handler };
}

/** Starts the learner promotion loop in HA mode (undefined otherwise). */
export function startK3sPromoter(config: ServerConfig, server: EtcdServer,
  logger: Logger): LearnerPromoter | undefined {
  if (!k3sHaEnabled(config)) return undefined;
  const raw = config.flagValues?.get('learner-promote-interval') ?? '15s';
  const intervalMs = parseDurationMs(raw, '-learner-promote-interval');
  return startLearnerPromoter({
    isLeader: () => server.isLeader(),
    learners: () => server.memberList().filter((m) => m.isLearner).map((m) => ({ id: m.id, name: m.name })),
    promote: (id) => server.promoteMember(id),
    remove: async (id) => { await server.cluster.memberRemove(id); },
    nowMs: () => performance.now(),
  }, intervalMs, logger);
}
