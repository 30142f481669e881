/**
 * Runs one tetcd member inside this Node process: the public embedding API and what `tetcd server`
 * uses. Starts storage and Raft, binds the client URLs, logs "ready to serve client requests".
 *
 *   const member = await startEtcd(config);   // config from buildServerConfig() or hand-made
 *   ...
 *   await member.close();
 */
import type * as grpc from '@grpc/grpc-js';
import { bindGrpc, createClientListener, createGrpcServer } from '../api/grpc-server.js';
import type { ClientListener, ClientListenerTls } from '../api/h2/client-listener.js';
import { resolveAutoTls } from '../pki/auto-tls.js';
import {
  clientTlsOptions, createPeerCertificateCheck, serverTlsOptions, tlsInfoEmpty,
} from '../platform/tls-config.js';
import type { PeerTransportOptions } from '../transport/peer-transport.js';
import { systemClock } from '../platform/clock.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { EtcdServer } from '../server/etcd-server.js';
import { metricsHttpEndpoints } from '../api/http-endpoints.js';
import { ETCD_SERVER_VERSION } from '../base/version.js';
import { EtcdMetrics } from '../metrics/etcd-metrics.js';
import { MetricsListener } from '../metrics/metrics-listener.js';
import { PeerTransport } from '../transport/peer-transport.js';
import { peerRequest } from '../transport/peer-request.js';
import type { ServerConfig } from './config.js';
import { startK3sSnapshots } from './k3s-snapshots.js';
import { k3sBootstrapTls, startK3sPromoter } from './k3s-ha.js';
import { refuseOldClusterMember } from './k3s-reset.js';
import { configureDashboard } from '../dashboard/hooks.js';

export interface EmbeddedEtcd {
  server: EtcdServer;
  /** Ports actually bound, in --listen-client-urls order (useful with port 0). */
  clientPorts: number[];
  close(): Promise<void>;
}

export async function startEtcd(config: ServerConfig,
  logger: Logger = createLogger(config.logLevel)): Promise<EmbeddedEtcd> {
  let transport: PeerTransport | undefined;
  const tlsSetup = await prepareTls(config, logger);
  const metrics = new EtcdMetrics({ level: config.metricsLevel, serverVersion: ETCD_SERVER_VERSION });
  // A restarting member whose peers no longer list it (cluster reset/restored) is refused before raft starts.
  await refuseOldClusterMember(config, tlsSetup.peer.client, logger);
  const server = await EtcdServer.start({
    name: config.name, dataDir: config.dataDir, walDir: config.walDir, initialCluster: config.initialCluster,
    initialClusterState: config.initialClusterState, initialClusterToken: config.initialClusterToken,
    unsafeNoFsync: config.unsafeNoFsync, backendBatchIntervalMs: config.backendBatchIntervalMs,
    backendBatchLimit: config.backendBatchLimit, heartbeatIntervalMs: config.heartbeatIntervalMs,
    electionTimeoutMs: config.electionTimeoutMs, snapshotCount: config.snapshotCount,
    maxSnapshots: config.maxSnapshots, maxWals: config.maxWals, maxTxnOps: config.maxTxnOps,
    maxRequestBytes: config.maxRequestBytes, quotaBackendBytes: config.quotaBackendBytes, preVote: config.preVote,
    forceNewCluster: config.forceNewCluster === true,
    strictReconfigCheck: config.strictReconfigCheck, peerGet: (url, path) => peerRequest(url, 'GET', path, {}, undefined, tlsSetup.peer.client),
    autoCompactionMode: config.autoCompactionMode, autoCompactionRetention: config.autoCompactionRetention,
    advertiseClientUrls: config.advertiseClientUrls, warningApplyDurationMs: config.warningApplyDurationMs,
    authToken: config.authToken, bcryptCost: config.bcryptCost, authTokenTtlSeconds: config.authTokenTtlSeconds,
    leaseCheckpointIntervalMs: config.leaseCheckpointIntervalMs, corruptCheckTimeMs: config.corruptCheckTimeMs,
  }, logger, systemClock, (identity, handler) => {
    transport = new PeerTransport({
      localId: identity.memberId, clusterId: identity.clusterId,
      frameBytesMax: 4 * config.maxRequestBytes + 16 * 1024 * 1024, backlogBytesMax: 64 * 1024 * 1024,
      tls: tlsSetup.peer, metrics: metrics.peerHooks(),
    }, handler, logger);
    return transport;
  }, metrics);
  configureDashboard(server, {
    enabled: config.enableDashboard !== false, clientCertAuth: config.clientTls.clientCertAuth,
  });
  const peerTransport: PeerTransport = transport!;
  const clientPorts: number[] = [];
  const grpcOptions = {
    maxRequestBytes: config.maxRequestBytes, maxConcurrentStreams: config.maxConcurrentStreams,
    keepaliveMinTimeMs: config.grpcKeepaliveMinTimeMs, keepaliveIntervalMs: config.grpcKeepaliveIntervalMs,
    keepaliveTimeoutMs: config.grpcKeepaliveTimeoutMs,
  };
  // Default: tetcd's gRPC-on-node:http2 server sharing the port with HTTP/1.1 endpoints; grpc-js remains
  // selectable (TETCD_GRPC_SERVER=grpc-js) for comparison.
  const useGrpcJs = process.env['TETCD_GRPC_SERVER'] === 'grpc-js';
  const listeners: Array<ClientListener | MetricsListener> = [];
  let grpcServer: grpc.Server | undefined;
  let snapshots: ReturnType<typeof startK3sSnapshots>;
  let promoter: ReturnType<typeof startK3sPromoter>;
  const shutdownClients = async (): Promise<void> => {
    await Promise.all(listeners.map((l) => l.close()));
    if (grpcServer !== undefined) await new Promise<void>((resolve) => grpcServer!.tryShutdown(() => resolve()));
  };
  try {
    for (const url of config.listenPeerUrls) {
      await peerTransport.listen(url.hostname === 'localhost' ? '127.0.0.1' : url.hostname, Number(url.port),
        url.protocol === 'https:');
    }
    // As etcd: clients are served once this member's attributes are published through raft, so a
    // member list never shows a started member without its client URLs.
    await Promise.race([server.published$, new Promise<void>((resolve) => server.onStop(() => resolve()))]);
    if (config.initialCorruptCheck) await server.checkInitialHashes();
    // Stopped while starting (e.g. peers report this member as removed): do not serve clients.
    if (server.stopRequested) {
      throw new Error('the server stopped while starting (e.g. removed from the cluster: if so, back up and delete ' +
        `${config.dataDir}, then add it again as a new member)`);
    }
    if (useGrpcJs) {
      grpcServer = createGrpcServer(server, grpcOptions);
      for (const url of config.listenClientUrls) clientPorts.push(await bindGrpc(grpcServer, url));
    } else {
      for (const url of config.listenClientUrls) {
        const listener = createClientListener(server, { ...grpcOptions,
          tls: url.protocol === 'https:' ? k3sBootstrapTls(tlsSetup.client, config, server) : undefined });
        listeners.push(listener);
        const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
        clientPorts.push(await listener.listen(host, Number(url.port)).catch((error: Error) => {
          throw new Error(`listen tcp ${host}:${url.port}: ${error.message}`);
        }));
      }
    }
    for (const url of config.listenMetricsUrls) {
      const listener = new MetricsListener(metricsHttpEndpoints(server));
      listeners.push(listener);
      const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
      await listener.listen(host, Number(url.port)).catch((error: Error) => {
        throw new Error(`listen tcp ${host}:${url.port}: ${error.message}`);
      });
    }
    snapshots = startK3sSnapshots(config, clientPorts, logger);
    promoter = startK3sPromoter(config, server, logger);
  } catch (error) {
    await shutdownClients().catch(() => undefined);
    await server.stop();
    throw error;
  }
  logger.info({ address: config.listenClientUrls.map((u) => u.host).join(','),
    'local-member-id': server.memberIdHex() },
    'ready to serve client requests');
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await snapshots?.stop();
      await promoter?.stop();
      await shutdownClients();
      await server.stop();
      logger.info({ name: config.name }, 'stopped serving');
    })();
    return closed;
  };
  server.onStop((error) => {
    if (error !== undefined) void shutdownClients();
  });
  return { server, clientPorts, close };
}

/**
 * Client and peer TLS from the config (etcd's ClientTLSInfo / PeerTLSInfo): auto-TLS fixtures, the
 * client listener's TLS, and the peer listener / outgoing peer connection options.
 * @throws Error for an https:// client URL without a certificate, or unreadable certificate files.
 */
async function prepareTls(config: ServerConfig, logger: Logger): Promise<{ client: ClientListenerTls | undefined;
  peer: NonNullable<PeerTransportOptions['tls']> }> {
  const hosts = (urls: URL[]): string[] => urls.map((u) => u.hostname);
  const years = config.selfSignedCertValidityYears;
  const client = await resolveAutoTls(config.clientTls, config.autoTls, config.dataDir, 'client',
    hosts(config.listenClientUrls), years);
  const peer = await resolveAutoTls(config.peerTls, config.peerAutoTls, config.dataDir, 'peer',
    hosts(config.listenPeerUrls), years);
  if (client.outcome === 'configured') logger.warn('ignoring client auto TLS since certs given');
  if (peer.outcome === 'configured') logger.warn('ignoring peer auto TLS since certs given');
  for (const url of config.listenClientUrls) {
    if (url.protocol === 'https:' && tlsInfoEmpty(client.info)) {
      throw new Error(`TLS key/cert (--cert-file, --key-file) must be provided for client url ${url.origin} with HTTPS scheme`);
    }
  }
  const onRejected = (remote: string, reason: string): void =>
    logger.warn({ 'remote-addr': remote, error: reason }, 'rejected connection');
  const clientTls = tlsInfoEmpty(client.info) ? undefined : {
    options: serverTlsOptions(client.info, config.tlsProtocol),
    check: createPeerCertificateCheck(client.info, { checkSan: false }), onRejected,
  };
  const peerListener = tlsInfoEmpty(peer.info) ? undefined : {
    options: serverTlsOptions(peer.info, config.tlsProtocol),
    check: createPeerCertificateCheck(peer.info, { checkSan: true }),
  };
  return { client: clientTls,
    peer: { listener: peerListener, client: clientTlsOptions(peer.info, config.tlsProtocol) } };
}
