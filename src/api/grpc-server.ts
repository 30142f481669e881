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
import { kvHandlers } from './kv-service.js';
import { electionHandlers } from './election-service.js';
import { leaseHandlers } from './lease-service.js';
import { lockHandlers } from './lock-service.js';
import { maintenanceHandlers } from './maintenance-service.js';
import type { LeaderProbe } from './unary.js';
import { watchHandlers } from './watch-service.js';

export interface GrpcServerOptions {
  maxRequestBytes: number;
  maxConcurrentStreams: number;
  keepaliveMinTimeMs: number;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
}

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
  const probe: LeaderProbe = { hasLeader: () => server.leaderId() !== 0n, isLearner: () => server.isLearner() };
  grpcServer.addService(KVService, kvHandlers(server, probe));
  grpcServer.addService(MaintenanceService, maintenanceHandlers(server, probe));
  grpcServer.addService(ClusterService, clusterHandlers(server, probe));
  grpcServer.addService(WatchService, watchHandlers(server, probe));
  grpcServer.addService(LeaseService, leaseHandlers(server, probe));
  grpcServer.addService(LockService, lockHandlers(server, probe));
  grpcServer.addService(ElectionService, electionHandlers(server, probe));
  grpcServer.addService(HealthService, {
    check: (_call: unknown, callback: grpc.sendUnaryData<HealthCheckResponse>) =>
      callback(null, HealthCheckResponse.create({ status: HealthCheckResponse_ServingStatus.SERVING })),
  });
  for (const service of [AuthService]) {
    grpcServer.addService(service, {});
  }
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
