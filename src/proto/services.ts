/**
 * grpc-js service definitions for every service tetcd serves, built from the generated codecs.
 * Usage: `server.addService(KVService, handlers)` or
 * `grpc.makeGenericClientConstructor(KVService, 'KV')`. Method keys are lowerCamel (`range`, `deleteRange`,
 * `hashKV`, `leaseKeepAlive`, ...); paths are etcd's (`/etcdserverpb.KV/Range`).
 */
import type * as grpc from '@grpc/grpc-js';
import type { ServiceDescriptor } from './runtime.js';
import {
  AuthServiceDescriptor, ClusterServiceDescriptor, KVServiceDescriptor, LeaseServiceDescriptor,
  MaintenanceServiceDescriptor, WatchServiceDescriptor,
} from './gen/etcdserverpb.js';
import { LockServiceDescriptor } from './gen/v3lockpb.js';
import { ElectionServiceDescriptor } from './gen/v3electionpb.js';
import { HealthServiceDescriptor } from './gen/grpc.health.v1.js';

/** Wraps encoded bytes as a Buffer without copying (grpc-js requires a Buffer from serialize). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `DeleteRange` → `deleteRange`. */
function methodKey(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/**
 * Builds a grpc-js ServiceDefinition from a generated descriptor. Deserializers throw ProtoDecodeError
 * on malformed input (grpc-js turns that into an INTERNAL status for the call).
 */
export function toGrpcService(descriptor: ServiceDescriptor): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of descriptor.methods) {
    const { requestType, responseType } = method;
    definition[methodKey(method.name)] = {
      path: `/${descriptor.fullName}/${method.name}`,
      originalName: method.name,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      requestSerialize: (value: unknown) => toBuffer(requestType.encode(value)),
      requestDeserialize: (bytes: Buffer) => requestType.decode(bytes),
      responseSerialize: (value: unknown) => toBuffer(responseType.encode(value)),
      responseDeserialize: (bytes: Buffer) => responseType.decode(bytes),
    };
  }
  return definition;
}

export const KVService: grpc.ServiceDefinition = toGrpcService(KVServiceDescriptor);
export const WatchService: grpc.ServiceDefinition = toGrpcService(WatchServiceDescriptor);
export const LeaseService: grpc.ServiceDefinition = toGrpcService(LeaseServiceDescriptor);
export const ClusterService: grpc.ServiceDefinition = toGrpcService(ClusterServiceDescriptor);
export const MaintenanceService: grpc.ServiceDefinition = toGrpcService(MaintenanceServiceDescriptor);
export const AuthService: grpc.ServiceDefinition = toGrpcService(AuthServiceDescriptor);
export const LockService: grpc.ServiceDefinition = toGrpcService(LockServiceDescriptor);
export const ElectionService: grpc.ServiceDefinition = toGrpcService(ElectionServiceDescriptor);
export const HealthService: grpc.ServiceDefinition = toGrpcService(HealthServiceDescriptor);

/** Every service tetcd registers on its client port, as [fully qualified name, definition]. */
export const ALL_SERVICES: readonly (readonly [string, grpc.ServiceDefinition])[] = [
  ['etcdserverpb.KV', KVService],
  ['etcdserverpb.Watch', WatchService],
  ['etcdserverpb.Lease', LeaseService],
  ['etcdserverpb.Cluster', ClusterService],
  ['etcdserverpb.Maintenance', MaintenanceService],
  ['etcdserverpb.Auth', AuthService],
  ['v3lockpb.Lock', LockService],
  ['v3electionpb.Election', ElectionService],
  ['grpc.health.v1.Health', HealthService],
];

/** The generated descriptors behind ALL_SERVICES (for tools that need message codecs per method). */
export const ALL_SERVICE_DESCRIPTORS: readonly ServiceDescriptor[] = [
  KVServiceDescriptor, WatchServiceDescriptor, LeaseServiceDescriptor, ClusterServiceDescriptor,
  MaintenanceServiceDescriptor, AuthServiceDescriptor, LockServiceDescriptor, ElectionServiceDescriptor,
  HealthServiceDescriptor,
];
