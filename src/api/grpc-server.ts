/**
 * The client-facing gRPC server: registers every etcd service (handlers for what is implemented; grpc-js
 * answers Unimplemented for the rest) with etcd's message-size and keepalive settings, and binds the
 * --listen-client-urls.
 */
import * as grpc from '@grpc/grpc-js';
import { Limits } from '../base/limits.js';
import {
  AuthService, ClusterService, ElectionService, HealthService, KVService, LeaseService, LockService,
  MaintenanceService, WatchService,
} from '../proto/services.js';
import { HealthCheckResponse, HealthCheckResponse_ServingStatus } from '../proto/gen/grpc.health.v1.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { clusterHandlers } from './cluster-service.js';
import { authHandlers } from './auth-service.js';
import { kvHandlers } from './kv-service.js';
import { electionHandlers } from './election-service.js';
import { leaseHandlers } from './lease-service.js';
import { lockHandlers } from './lock-service.js';
import { maintenanceHandlers } from './maintenance-service.js';
import type { LeaderProbe } from './unary.js';
import { ClientListener, type ClientListenerTls } from './h2/client-listener.js';
import { GrpcH2Server } from './h2/grpc-h2-server.js';
import { httpEndpoints } from './http-endpoints.js';
import { createGateway } from './gateway/gateway.js';
import { watchHandlers } from './watch-service.js';

export interface GrpcServerOptions {
  maxRequestBytes: number;
  maxConcurrentStreams: number;
  keepaliveMinTimeMs: number;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  /** TLS for this listener (an https:// client URL); tetcd's default server only, not grpc-js. */
  tls?: ClientListenerTls | undefined;
}

/** Anything services can be registered on: grpc-js's Server or tetcd's GrpcH2Server. */
export interface ServiceRegistry {
  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void;
}

/** Registers every etcd service tetcd serves. */
export function registerServices(registry: ServiceRegistry, server: EtcdServer): void {
  const probe: LeaderProbe = { hasLeader: () => server.leaderId() !== 0n, isLearner: () => server.isLearner() };
  registry.addService(KVService, kvHandlers(server, probe));
  registry.addService(MaintenanceService, maintenanceHandlers(server, probe));
  registry.addService(ClusterService, clusterHandlers(server, probe));
  registry.addService(WatchService, watchHandlers(server, probe));
  registry.addService(LeaseService, leaseHandlers(server, probe));
  registry.addService(LockService, lockHandlers(server, probe));
  registry.addService(ElectionService, electionHandlers(server, probe));
  registry.addService(HealthService, {
    check: (_call: unknown, callback: grpc.sendUnaryData<HealthCheckResponse>) =>
      callback(null, HealthCheckResponse.create({ status: HealthCheckResponse_ServingStatus.SERVING })),
  });
  registry.addService(AuthService, authHandlers(server, probe));
}

/**
 * The client port as tetcd serves it by default: gRPC on node:http2 plus HTTP/1.1 endpoints on the same
 * port. Bind with `listener.listen(host, port)`.
 */
export function createClientListener(server: EtcdServer, options: GrpcServerOptions): ClientListener {
  const grpcServer = new GrpcH2Server(options.maxRequestBytes + Limits.grpcOverheadBytes, server.metrics);
  registerServices(grpcServer, server);
  return new ClientListener(grpcServer, httpEndpoints(server, createGateway(grpcServer, server.metrics)), {
    maxConcurrentStreams: options.maxConcurrentStreams,
    tls: options.tls });
}

/** The same services on grpc-js's server (TETCD_GRPC_SERVER=grpc-js; gRPC only, no HTTP on the port). */
export function createGrpcServer(server: EtcdServer, options: GrpcServerOptions): grpc.Server {
  const grpcServer = new grpc.Server({
    'grpc.max_receive_message_length': options.maxRequestBytes + Limits.grpcOverheadBytes,
    'grpc.max_send_message_length': -1,
    'grpc.max_concurrent_streams': Math.min(options.maxConcurrentStreams, 2 ** 31 - 1),
    'grpc.keepalive_time_ms': options.keepaliveIntervalMs,
    'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs,
    'grpc.http2.min_ping_interval_without_data_ms': options.keepaliveMinTimeMs,
    'grpc.keepalive_permit_without_calls': 1,
  });
  registerServices(grpcServer, server);
  return grpcServer;
}

/** Binds one listen URL ("http://127.0.0.1:2379"); `localhost` binds 127.0.0.1 as etcd does. */
export function bindGrpc(grpcServer: grpc.Server, url: URL): Promise<number> {
  const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
  return new Promise((resolve, reject) => {
    grpcServer.bindAsync(`${host}:${url.port}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
      if (error) reject(new Error(`listen tcp ${host}:${url.port}: ${error.message}`));
      else resolve(port);
    });
  });
}
