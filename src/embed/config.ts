/**
 * The typed server configuration, built from parsed flags and validated as etcd validates it.
 */
import { Limits } from '../base/limits.js';
import { LOG_LEVELS, type LogLevel } from '../platform/logger.js';
import { parseRetention } from '../server/auto-compactor.js';
import { buildTlsProtocol, type TlsInfo, type TlsProtocolSettings } from '../platform/tls-config.js';
import { FlagError, parseDurationMs, parseUrlList, type ParsedFlags } from './flag-parser.js';

export interface InitialMember { name: string; peerUrls: string[] }

export interface ServerConfig {
  name: string;
  dataDir: string;
  walDir: string;
  snapshotCount: number;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  listenClientUrls: URL[];
  advertiseClientUrls: string[];
  listenPeerUrls: URL[];
  initialAdvertisePeerUrls: string[];
  initialCluster: InitialMember[];
  initialClusterState: 'new' | 'existing';
  initialClusterToken: string;
  maxSnapshots: number;
  maxWals: number;
  quotaBackendBytes: number;
  backendBatchIntervalMs: number;
  backendBatchLimit: number;
  maxTxnOps: number;
  maxRequestBytes: number;
  maxConcurrentStreams: number;
  grpcKeepaliveMinTimeMs: number;
  grpcKeepaliveIntervalMs: number;
  grpcKeepaliveTimeoutMs: number;
  strictReconfigCheck: boolean;
  /** --force-new-cluster (src/server/force-new-cluster.ts). */
  forceNewCluster?: boolean;
  preVote: boolean;
  logLevel: LogLevel;
  unsafeNoFsync: boolean;
  warningApplyDurationMs: number;
  /** --experimental-enable-lease-checkpoint: the checkpoint interval, undefined when disabled. */
  leaseCheckpointIntervalMs: number | undefined;
  /** --experimental-initial-corrupt-check */
  initialCorruptCheck: boolean;
  /** --experimental-corrupt-check-time (0: off) */
  corruptCheckTimeMs: number;
  autoCompactionMode: 'periodic' | 'revision';
  autoCompactionRetention: string;
  /** Every flag's raw value as parsed (the K3s snapshot flags are read from here by src/ha). */
  flagValues?: ReadonlyMap<string, string>;
  /** --listen-metrics-urls: extra listeners serving /metrics, /health, /livez, /readyz. */
  listenMetricsUrls: URL[];
  /** --metrics: 'extensive' adds grpc_server_handling_seconds. */
  metricsLevel: 'basic' | 'extensive';
  /** --enable-dashboard (tetcd only): /dashboard on the client and metrics URLs; absent means true. */
  enableDashboard?: boolean;
  /** --auth-token (simple, or jwt,...), --bcrypt-cost, --auth-token-ttl (seconds). */
  authToken: string;
  bcryptCost: number;
  authTokenTtlSeconds: number;
  /** Client TLS (--cert-file, --key-file, --trusted-ca-file, --client-cert-auth, ...); used for https:// URLs. */
  clientTls: TlsInfo;
  /** Peer TLS (--peer-cert-file, ...); used for https:// peer URLs and outgoing peer connections. */
  peerTls: TlsInfo;
  /** --cipher-suites, --tls-min-version, --tls-max-version (both sides). */
  tlsProtocol: TlsProtocolSettings;
  /** --auto-tls / --peer-auto-tls: generate self-signed certs in <data-dir>/fixtures when no cert is given. */
  autoTls: boolean;
  peerAutoTls: boolean;
  /** --self-signed-cert-validity, in years. */
  selfSignedCertValidityYears: number;
}

/** Builds and validates the config. Throws FlagError with etcd-like messages. */
export function buildServerConfig(flags: ParsedFlags): ServerConfig {
  const v = (name: string): string => {
    const value = flags.values.get(name);
    if (value === undefined) throw new FlagError(`internal: flag ${name} has no value`);
    return value;
  };
  const int = (name: string): number => Number(v(name));
  const bool = (name: string): boolean => v(name) === 'true';
  const name = v('name');
  const logLevel = v('log-level');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new FlagError(`invalid log level "${logLevel}" (must be one of ${LOG_LEVELS.join(', ')})`);
  }
  const state = v('initial-cluster-state');
  if (state !== 'new' && state !== 'existing') {
    throw new FlagError(`invalid value "${state}" for flag -initial-cluster-state: valid values are "new" or "existing"`);
  }
  const config: ServerConfig = {
    name,
    flagValues: flags.values,
    dataDir: v('data-dir') !== '' ? v('data-dir') : defaultDataDir(name),
    walDir: v('wal-dir'),
    snapshotCount: int('snapshot-count'),
    heartbeatIntervalMs: int('heartbeat-interval'),
    electionTimeoutMs: int('election-timeout'),
    listenClientUrls: parseUrlList(v('listen-client-urls'), '-listen-client-urls'),
    advertiseClientUrls: urlStrings(v('advertise-client-urls'), '-advertise-client-urls'),
    listenPeerUrls: parseUrlList(v('listen-peer-urls'), '-listen-peer-urls'),
    initialAdvertisePeerUrls: urlStrings(v('initial-advertise-peer-urls'), '-initial-advertise-peer-urls'),
    initialCluster: parseInitialCluster(v('initial-cluster')),
    initialClusterState: state,
    initialClusterToken: v('initial-cluster-token'),
    maxSnapshots: int('max-snapshots'),
    maxWals: int('max-wals'),
    quotaBackendBytes: int('quota-backend-bytes') > 0 ? int('quota-backend-bytes') : Limits.quotaBackendBytesDefault,
    backendBatchIntervalMs: parseDurationMs(v('backend-batch-interval'), '-backend-batch-interval'),
    backendBatchLimit: int('backend-batch-limit'),
    maxTxnOps: int('max-txn-ops'),
    maxRequestBytes: int('max-request-bytes'),
    maxConcurrentStreams: int('max-concurrent-streams'),
    grpcKeepaliveMinTimeMs: parseDurationMs(v('grpc-keepalive-min-time'), '-grpc-keepalive-min-time'),
    grpcKeepaliveIntervalMs: parseDurationMs(v('grpc-keepalive-interval'), '-grpc-keepalive-interval'),
    grpcKeepaliveTimeoutMs: parseDurationMs(v('grpc-keepalive-timeout'), '-grpc-keepalive-timeout'),
    strictReconfigCheck: bool('strict-reconfig-check'),
    forceNewCluster: bool('force-new-cluster'),
    preVote: bool('pre-vote'),
    logLevel: logLevel as LogLevel,
    unsafeNoFsync: bool('unsafe-no-fsync'),
    warningApplyDurationMs: parseDurationMs(v('experimental-warning-apply-duration'), '-experimental-warning-apply-duration'),
    leaseCheckpointIntervalMs: bool('experimental-enable-lease-checkpoint') ? leaseCheckpointInterval(v) : undefined,
    initialCorruptCheck: bool('experimental-initial-corrupt-check'),
    corruptCheckTimeMs: parseDurationMs(v('experimental-corrupt-check-time'), '-experimental-corrupt-check-time'),
    autoCompactionMode: 'periodic', autoCompactionRetention: '0',
    listenMetricsUrls: v('listen-metrics-urls') === '' ? [] : parseUrlList(v('listen-metrics-urls'), '-listen-metrics-urls'),
    metricsLevel: metricsLevel(v('metrics')),
    enableDashboard: bool('enable-dashboard'),
    authToken: v('auth-token'), bcryptCost: int('bcrypt-cost'), authTokenTtlSeconds: int('auth-token-ttl'),
    ...tlsFromFlags(v),
  };
  const mode = v('auto-compaction-mode');
  if (mode !== 'periodic' && mode !== 'revision') {
    throw new FlagError(`unknown auto-compaction-mode "${mode}" (must be 'periodic' or 'revision')`);
  }
  config.autoCompactionMode = mode;
  config.autoCompactionRetention = v('auto-compaction-retention');
  if (config.autoCompactionRetention !== '0') {
    try { parseRetention(mode, config.autoCompactionRetention); } catch (error) {
      throw new FlagError(`invalid value "${config.autoCompactionRetention}" for flag -auto-compaction-retention: ${(error as Error).message}`);
    }
  }
  validateConfig(config, flags);
  return config;
}

/** etcd's default data dir is `${name}.etcd`; tetcd's product default for the default member is ./default.tetcd. */
function defaultDataDir(name: string): string {
  return `${name}.tetcd`;
}

function urlStrings(raw: string, source: string): string[] {
  return raw === '' ? [] : parseUrlList(raw, source).map((u) => u.toString().replace(/\/$/, ''));
}

/** Parses `name1=http://a:2380,name1=http://b:2380,name2=...` into members in order of first appearance. */
export function parseInitialCluster(raw: string): InitialMember[] {
  const members = new Map<string, string[]>();
  for (const part of raw.split(',')) {
    // An empty name is allowed: etcdctl's `member add` prints members that have not started yet as `=url`.
    const eq = part.indexOf('=');
    if (eq < 0) throw new FlagError(`invalid value "${raw}" for flag -initial-cluster: missing '=' in "${part}"`);
    const memberName = part.slice(0, eq);
    const url = parseUrlList(part.slice(eq + 1), '-initial-cluster')[0]!.toString().replace(/\/$/, '');
    const urls = members.get(memberName) ?? [];
    urls.push(url);
    members.set(memberName, urls);
  }
  return [...members].map(([name, peerUrls]) => ({ name, peerUrls }));
}

/** The TLS part of the config (etcd's ClientTLSInfo / PeerTLSInfo and protocol flags). */
function tlsFromFlags(v: (name: string) => string): Pick<ServerConfig, 'clientTls' | 'peerTls' | 'tlsProtocol' |
  'autoTls' | 'peerAutoTls' | 'selfSignedCertValidityYears'> {
  let tlsProtocol: TlsProtocolSettings;
  try {
    tlsProtocol = buildTlsProtocol(v('cipher-suites'), v('tls-min-version'), v('tls-max-version'));
  } catch (error) {
    throw new FlagError((error as Error).message);
  }
  const validity = Number(v('self-signed-cert-validity'));
  if (!Number.isSafeInteger(validity) || validity <= 0) {
    throw new FlagError(`invalid value "${v('self-signed-cert-validity')}" for flag -self-signed-cert-validity: must be a positive number of years`);
  }
  return {
    clientTls: { certFile: v('cert-file'), keyFile: v('key-file'), trustedCaFile: v('trusted-ca-file'),
      clientCertAuth: v('client-cert-auth') === 'true', crlFile: v('client-crl-file'), allowedCn: '',
      allowedHostname: v('client-cert-allowed-hostname'), selfSigned: false },
    peerTls: { certFile: v('peer-cert-file'), keyFile: v('peer-key-file'), trustedCaFile: v('peer-trusted-ca-file'),
      clientCertAuth: v('peer-client-cert-auth') === 'true', crlFile: v('peer-crl-file'),
      allowedCn: v('peer-cert-allowed-cn'), allowedHostname: v('peer-cert-allowed-hostname'), selfSigned: false },
    tlsProtocol, autoTls: v('auto-tls') === 'true', peerAutoTls: v('peer-auto-tls') === 'true',
    selfSignedCertValidityYears: validity,
  };
}

function validateConfig(config: ServerConfig, flags: ParsedFlags): void {
  if (config.heartbeatIntervalMs <= 0) throw new FlagError('--heartbeat-interval must be positive');
  if (config.electionTimeoutMs < 5 * config.heartbeatIntervalMs) {
    throw new FlagError(`--election-timeout[${config.electionTimeoutMs}ms] should be at least as 5 times as ` +
      `--heartbeat-interval[${config.heartbeatIntervalMs}ms]`);
  }
  if (config.electionTimeoutMs > 50_000) {
    throw new FlagError(`--election-timeout[${config.electionTimeoutMs}ms] is too long, and should be set less than 50000ms`);
  }
  if (config.maxTxnOps <= 0) throw new FlagError('--max-txn-ops must be positive');
  if (config.maxRequestBytes <= 0) throw new FlagError('--max-request-bytes must be positive');
  if (config.snapshotCount <= 0) throw new FlagError('--snapshot-count must be positive');
  if (flags.positional.length > 0) {
    throw new FlagError(`'${flags.positional[0]}' is not a valid flag`);
  }
  const self = config.initialCluster.find((m) => m.name === config.name);
  if (self === undefined) {
    throw new FlagError(`couldn't find local name "${config.name}" in the initial cluster configuration`);
  }
  const advertised = [...config.initialAdvertisePeerUrls].sort().join(',');
  if ([...self.peerUrls].sort().join(',') !== advertised) {
    throw new FlagError(`--initial-cluster has ${config.name}=${self.peerUrls.join(',')} but missing from ` +
      `--initial-advertise-peer-urls=${config.initialAdvertisePeerUrls.join(',')}`);
  }
}

function leaseCheckpointInterval(v: (name: string) => string): number {
  const ms = parseDurationMs(v('experimental-lease-checkpoint-interval'), '-experimental-lease-checkpoint-interval');
  if (ms <= 0) throw new FlagError('--experimental-lease-checkpoint-interval must be positive');
  return ms;
}

/** --metrics: 'basic' or 'extensive' (etcd refuses anything else). */
function metricsLevel(value: string): 'basic' | 'extensive' {
  if (value !== 'basic' && value !== 'extensive') {
    throw new FlagError(`unknown metrics type ${JSON.stringify(value)} (must be 'basic' or 'extensive')`);
  }
  return value;
}
