/**
 * EtcdClientError: what every failed client call rejects with. It carries the gRPC status code, the
 * server's message (etcd's `etcdserver: ...` text when the server sent one), the method and the
 * endpoint, and — when the message is one of etcd's known errors — the stable code from
 * src/base/errors.ts so callers can branch on `etcdCode` instead of matching text.
 */
import { ERROR_TABLE, GrpcStatus } from '../base/errors.js';
import type { EtcdErrorCode, GrpcStatusCode } from '../base/errors.js';

const CODE_BY_MESSAGE: ReadonlyMap<string, EtcdErrorCode> = new Map(
  (Object.keys(ERROR_TABLE) as EtcdErrorCode[]).map((code) => [ERROR_TABLE[code][0], code]),
);

/** A failed etcd RPC. */
export class EtcdClientError extends Error {
  override readonly name = 'EtcdClientError';
  /** gRPC status code (see GrpcStatus). */
  readonly grpcCode: GrpcStatusCode;
  /** etcd's stable error code when the server's message is a known etcd error, else undefined. */
  readonly etcdCode: EtcdErrorCode | undefined;
  /** Full gRPC method path, e.g. `/etcdserverpb.KV/Put`. */
  readonly method: string;
  /** The `host:port` the failing attempt went to. */
  readonly endpoint: string;

  constructor(init: { grpcCode: GrpcStatusCode; message: string; method: string; endpoint: string;
    cause?: unknown }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.grpcCode = init.grpcCode;
    this.etcdCode = CODE_BY_MESSAGE.get(init.message);
    this.method = init.method;
    this.endpoint = init.endpoint;
  }
}

function isGrpcStatusCode(value: unknown): value is GrpcStatusCode {
  return typeof value === 'number' && Number.isInteger(value) && value >= GrpcStatus.OK &&
    value <= GrpcStatus.UNAUTHENTICATED;
}

/**
 * Converts whatever a grpc-js call failed with into an EtcdClientError. grpc-js errors carry `code`
 * and `details` (the server's status message, which for etcd is the `etcdserver: ...` text).
 */
export function toClientError(error: unknown, method: string, endpoint: string): EtcdClientError {
  if (error instanceof EtcdClientError) return error;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; details?: unknown;
    message?: unknown };
  const grpcCode = isGrpcStatusCode(fields.code) ? fields.code : GrpcStatus.UNKNOWN;
  const details = typeof fields.details === 'string' && fields.details !== '' ? fields.details
    : typeof fields.message === 'string' ? fields.message : String(error);
  return new EtcdClientError({ grpcCode, message: details, method, endpoint, cause: error });
}
