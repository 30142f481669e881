/**
 * Runs one tetcd member inside this Node process: the public embedding API and what `tetcd server`
 * uses. Starts storage and Raft, binds the client URLs, logs "ready to serve client requests".
 *
 *   const member = await startEtcd(config);   // config from buildServerConfig() or hand-made
 *   ...
 *   await member.close();
 */
import type * as grpc from '@grpc/grpc-js';
import { bindGrpc, createGrpcServer } from '../api/grpc-server.js';
import { systemClock } from '../platform/clock.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { EtcdServer } from '../server/etcd-server.js';
import { PeerTransport } from '../transport/peer-transport.js';
import type { ServerConfig } from './config.js';

export interface EmbeddedEtcd {
  server: EtcdServer;
  /** Ports actually bound, in --listen-client-urls order (useful with port 0). */
  clientPorts: number[];
  close(): Promise<void>;
}

export async function startEtcd(config: ServerConfig, logger: Logger = createLogger(config.logLevel)): Promise<EmbeddedEtcd> {
  let transport: PeerTransport | undefined;
  const server = await EtcdServer.start({
    name: config.name, dataDir: config.dataDir, walDir: config.walDir, initialCluster: config.initialCluster,
    initialClusterState: config.initialClusterState, initialClusterToken: config.initialClusterToken,
    unsafeNoFsync: config.unsafeNoFsync, backendBatchIntervalMs: config.backendBatchIntervalMs,
    backendBatchLimit: config.backendBatchLimit, heartbeatIntervalMs: config.heartbeatIntervalMs,
    electionTimeoutMs: config.electionTimeoutMs, snapshotCount: config.snapshotCount,
    maxSnapshots: config.maxSnapshots, maxWals: config.maxWals, maxTxnOps: config.maxTxnOps,
    maxRequestBytes: config.maxRequestBytes, quotaBackendBytes: config.quotaBackendBytes, preVote: config.preVote,
    strictReconfigCheck: config.strictReconfigCheck,
    autoCompactionMode: config.autoCompactionMode, autoCompactionRetention: config.autoCompactionRetention,
    advertiseClientUrls: config.advertiseClientUrls, warningApplyDurationMs: config.warningApplyDurationMs,
  }, logger, systemClock, (identity, handler) => {
    transport = new PeerTransport({
      localId: identity.memberId, clusterId: identity.clusterId,
      frameBytesMax: 4 * config.maxRequestBytes + 16 * 1024 * 1024, backlogBytesMax: 64 * 1024 * 1024,
    }, handler, logger);
    return transport;
  });
  const peerTransport: PeerTransport = transport!;
  let grpcServer: grpc.Server | undefined;
  const clientPorts: number[] = [];
  try {
    grpcServer = createGrpcServer(server, {
      maxRequestBytes: config.maxRequestBytes, maxConcurrentStreams: config.maxConcurrentStreams,
      keepaliveMinTimeMs: config.grpcKeepaliveMinTimeMs, keepaliveIntervalMs: config.grpcKeepaliveIntervalMs,
      keepaliveTimeoutMs: config.grpcKeepaliveTimeoutMs,
    });
    for (const url of config.listenPeerUrls) {
      await peerTransport.listen(url.hostname === 'localhost' ? '127.0.0.1' : url.hostname, Number(url.port));
    }
    for (const url of config.listenClientUrls) clientPorts.push(await bindGrpc(grpcServer, url));
  } catch (error) {
    grpcServer?.forceShutdown();
    await server.stop();
    throw error;
  }
  logger.info({ address: config.listenClientUrls.map((u) => u.host).join(','), 'local-member-id': server.memberIdHex() },
    'ready to serve client requests');
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await new Promise<void>((resolve) => grpcServer!.tryShutdown(() => resolve()));
      await server.stop();
      logger.info({ name: config.name }, 'stopped serving');
    })();
    return closed;
  };
  server.onStop((error) => {
    if (error !== undefined) grpcServer?.forceShutdown();
  });
  return { server, clientPorts, close };
}
