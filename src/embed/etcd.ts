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
import type { ClientListener } from '../api/h2/client-listener.js';
import { systemClock } from '../platform/clock.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { EtcdServer } from '../server/etcd-server.js';
import { PeerTransport } from '../transport/peer-transport.js';
import { peerRequest } from '../transport/peer-request.js';
import type { ServerConfig } from './config.js';

export interface EmbeddedEtcd {
  server: EtcdServer;
  /** Ports actually bound, in --listen-client-urls order (useful with port 0). */
  clientPorts: number[];
  close(): Promise<void>;
}

export async function startEtcd(config: ServerConfig,
  logger: Logger = createLogger(config.logLevel)): Promise<EmbeddedEtcd> {
  let transport: PeerTransport | undefined;
  const server = await EtcdServer.start({
    name: config.name, dataDir: config.dataDir, walDir: config.walDir, initialCluster: config.initialCluster,
    initialClusterState: config.initialClusterState, initialClusterToken: config.initialClusterToken,
    unsafeNoFsync: config.unsafeNoFsync, backendBatchIntervalMs: config.backendBatchIntervalMs,
    backendBatchLimit: config.backendBatchLimit, heartbeatIntervalMs: config.heartbeatIntervalMs,
    electionTimeoutMs: config.electionTimeoutMs, snapshotCount: config.snapshotCount,
    maxSnapshots: config.maxSnapshots, maxWals: config.maxWals, maxTxnOps: config.maxTxnOps,
    maxRequestBytes: config.maxRequestBytes, quotaBackendBytes: config.quotaBackendBytes, preVote: config.preVote,
    strictReconfigCheck: config.strictReconfigCheck, peerGet: (url, path) => peerRequest(url, 'GET', path),
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
  const clientPorts: number[] = [];
  const grpcOptions = {
    maxRequestBytes: config.maxRequestBytes, maxConcurrentStreams: config.maxConcurrentStreams,
    keepaliveMinTimeMs: config.grpcKeepaliveMinTimeMs, keepaliveIntervalMs: config.grpcKeepaliveIntervalMs,
    keepaliveTimeoutMs: config.grpcKeepaliveTimeoutMs,
  };
  // Default: tetcd's gRPC-on-node:http2 server sharing the port with HTTP/1.1 endpoints; grpc-js remains
  // selectable (TETCD_GRPC_SERVER=grpc-js) for comparison.
  const useGrpcJs = process.env['TETCD_GRPC_SERVER'] === 'grpc-js';
  const listeners: ClientListener[] = [];
  let grpcServer: grpc.Server | undefined;
  const shutdownClients = async (): Promise<void> => {
    await Promise.all(listeners.map((l) => l.close()));
    if (grpcServer !== undefined) await new Promise<void>((resolve) => grpcServer!.tryShutdown(() => resolve()));
  };
  try {
    for (const url of config.listenPeerUrls) {
      await peerTransport.listen(url.hostname === 'localhost' ? '127.0.0.1' : url.hostname, Number(url.port));
    }
    // As etcd: clients are served once this member's attributes are published through raft, so a
    // member list never shows a started member without its client URLs.
    await Promise.race([server.published$, new Promise<void>((resolve) => server.onStop(() => resolve()))]);
    if (useGrpcJs) {
      grpcServer = createGrpcServer(server, grpcOptions);
      for (const url of config.listenClientUrls) clientPorts.push(await bindGrpc(grpcServer, url));
    } else {
      for (const url of config.listenClientUrls) {
        const listener = createClientListener(server, grpcOptions);
        listeners.push(listener);
        const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
        clientPorts.push(await listener.listen(host, Number(url.port)).catch((error: Error) => {
          throw new Error(`listen tcp ${host}:${url.port}: ${error.message}`);
        }));
      }
    }
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
