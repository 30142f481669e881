/**
 * Maps errors to gRPC statuses exactly as etcd's rpctypes do: an EtcdError travels with its gRPC code
 * and etcd's message (clients match on the message); anything else is Unknown with its raw message.
 */
import type * as grpc from '@grpc/grpc-js';
import { EtcdError, GrpcStatus } from '../base/errors.js';

export function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  if (error instanceof EtcdError) return { code: error.grpcStatus, details: error.message, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: GrpcStatus.UNKNOWN, details: message, message };
}
