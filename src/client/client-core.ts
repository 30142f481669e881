/**
 * EtcdClientCore: connections, deadlines, authentication and the retry policy shared by every call
 * of EtcdClient (client.ts adds one public method per RPC on top of `unary` and the stream openers).
 *
 * Retries: a request is re-sent on another endpoint only when that is safe:
 * - reads (`retrySafe`) on any Unavailable;
 * - writes only when the request provably never took effect: the connection was never established
 *   (grpc-js "No connection established") or the member rejected it before proposing because it had
 *   no leader (`etcdserver: no leader`). A write that failed any other way is never re-sent.
 * - any request rejected with `etcdserver: invalid auth token` is re-sent once after re-authenticating
 *   (the server rejected it before doing anything).
 */
import * as grpc from '@grpc/grpc-js';
import { assert } from '../base/assert.js';
import { GrpcStatus } from '../base/errors.js';
import * as pb from '../proto/gen/etcdserverpb.js';
import { ChannelPool, makeCredentials } from './channel-pool.js';
import type { Channel, TlsOptions } from './channel-pool.js';
import { parseEndpoint } from './endpoints.js';
import { EtcdClientError, toClientError } from './errors.js';
import { RPCS } from './rpcs.js';
import type { Rpc } from './rpcs.js';

/** Default time dial() waits for a connection. */
export const DIAL_TIMEOUT_MS_DEFAULT = 5_000;
/** gRPC keepalive pings are never sent more often than this (grpc-go clamps to the same minimum). */
export const KEEPALIVE_TIME_MS_MIN = 10_000;

/** Constructor options. */
export interface EtcdClientOptions {
  /** `host:port`, `http://host:port` or `https://host:port` (https turns on TLS). */
  endpoints: string[];
  /** Number of gRPC connections, used round-robin (default 1). */
  conns?: number;
  /** How long dial() waits for a connection (default DIAL_TIMEOUT_MS_DEFAULT). */
  dialTimeoutMs?: number;
  /** Per-request deadline for unary calls; none when omitted. Streams never get a deadline. */
  requestTimeoutMs?: number;
  /** TLS material (PEM buffers). Given, or any https:// endpoint, makes every connection TLS. */
  tls?: TlsOptions;
  /** A fixed token sent as `token` metadata (from Authenticate). Prefer `auth`, which refreshes. */
  authToken?: string;
  /** User name and password: the client authenticates on first use and again when the token is rejected. */
  auth?: { name: string; password: string };
  /** gRPC keepalive: ping an idle connection after this long (clamped to ≥ KEEPALIVE_TIME_MS_MIN). */
  keepaliveTimeMs?: number;
  /** gRPC keepalive: close the connection when a ping is not answered within this long. */
  keepaliveTimeoutMs?: number;
}

/** A failure that proves the request never reached a server's apply path (safe to re-send a write). */
function neverApplied(error: EtcdClientError): boolean {
  return error.etcdCode === 'ERR_NO_LEADER' || /^No connection established/.test(error.message);
}

function channelOptions(options: EtcdClientOptions): grpc.ChannelOptions {
  if (options.keepaliveTimeMs === undefined) return {};
  assert(options.keepaliveTimeMs > 0, 'keepaliveTimeMs must be positive');
  return {
    'grpc.keepalive_time_ms': Math.max(KEEPALIVE_TIME_MS_MIN, options.keepaliveTimeMs),
    'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs ?? 20_000,
    'grpc.keepalive_permit_without_calls': 0,
  };
}

/** Connections, auth and retries. Not used directly: see EtcdClient. */
export class EtcdClientCore {
  private readonly pool: ChannelPool;
  private readonly dialTimeoutMs: number;
  private readonly requestTimeoutMs: number | undefined;
  private readonly endpointCount: number;
  private readonly auth: { name: string; password: string } | undefined;
  private token: string | undefined;
  private authenticating: Promise<void> | undefined;

  /** Throws RangeError on a malformed endpoint and AssertionError on bad numeric options. */
  constructor(options: EtcdClientOptions) {
    const endpoints = options.endpoints.map(parseEndpoint);
    if (endpoints.length === 0) throw new RangeError('no endpoints given');
    this.dialTimeoutMs = options.dialTimeoutMs ?? DIAL_TIMEOUT_MS_DEFAULT;
    assert(Number.isFinite(this.dialTimeoutMs) && this.dialTimeoutMs > 0, `bad dialTimeoutMs ${this.dialTimeoutMs}`);
    this.requestTimeoutMs = options.requestTimeoutMs;
    assert(this.requestTimeoutMs === undefined || this.requestTimeoutMs > 0, 'requestTimeoutMs must be positive');
    const secure = endpoints.some((e) => e.secure);
    this.pool = new ChannelPool(endpoints, options.conns ?? 1, makeCredentials(secure, options.tls),
      channelOptions(options));
    this.endpointCount = endpoints.length;
    this.token = options.authToken;
    this.auth = options.auth;
  }

  /**
   * Waits until at least one connection is ready (connections that fail are re-pointed at the next
   * endpoint), then authenticates when `auth` is set. Throws EtcdClientError: Unavailable when no
   * connection is ready within dialTimeoutMs, or the Authenticate failure.
   */
  async dial(): Promise<void> {
    const deadline = new Date(Date.now() + this.dialTimeoutMs);
    const outcomes = await Promise.allSettled(this.pool.all().map((channel) =>
      new Promise<void>((resolve, reject) => channel.client.waitForReady(deadline, (error) => {
        if (error === undefined) resolve();
        else {
          this.pool.reportUnavailable(channel);
          reject(error);
        }
      }))));
    if (!outcomes.some((o) => o.status === 'fulfilled')) {
      const first = outcomes.find((o) => o.status === 'rejected');
      throw new EtcdClientError({ grpcCode: GrpcStatus.UNAVAILABLE, method: 'dial', endpoint: 'all',
        message: `no endpoint ready within ${this.dialTimeoutMs} ms`, cause: first?.reason });
    }
    if (this.auth !== undefined && this.token === undefined) await this.refreshToken();
  }

  /** Closes every connection; pending calls and streams fail. Idempotent. */
  close(): void {
    this.pool.close();
  }

  /** The `token` metadata for the next call (authenticating first when needed). */
  protected async metadata(): Promise<grpc.Metadata> {
    if (this.auth !== undefined && this.token === undefined) await this.refreshToken();
    const metadata = new grpc.Metadata();
    if (this.token !== undefined) metadata.set('token', this.token);
    return metadata;
  }

  /** Authenticates with `auth` (one request at a time). Throws EtcdClientError. */
  private refreshToken(): Promise<void> {
    const auth = this.auth;
    assert(auth !== undefined, 'refreshToken needs auth options');
    this.authenticating ??= (async () => {
      try {
        const response = await this.send(RPCS.authenticate, pb.AuthenticateRequest.create(auth), true,
          new grpc.Metadata());
        this.token = response.token;
      } finally {
        this.authenticating = undefined;
      }
    })();
    return this.authenticating;
  }

  /**
   * One RPC on `channel`. `waitForReady` (the last resort once every endpoint failed to connect): wait for
   * the connection instead of failing fast, as etcd's clientv3 does, bounded by the request deadline (or
   * the dial timeout when there is none).
   */
  private attempt<Req, Res>(rpc: Rpc<Req, Res>, body: Buffer, channel: Channel, metadata: grpc.Metadata,
    noDeadline: boolean, waitForReady = false): Promise<Res> {
    const options: grpc.CallOptions = this.requestTimeoutMs === undefined || noDeadline ? {}
      : { deadline: new Date(Date.now() + this.requestTimeoutMs) };
    let callMetadata = metadata;
    if (waitForReady) {
      callMetadata = metadata.clone();
      callMetadata.setOptions({ waitForReady: true });
      options.deadline ??= new Date(Date.now() + this.dialTimeoutMs);
    }
    const address = channel.endpoint.address;
    return new Promise<Res>((resolve, reject) => {
      try {
        channel.client.makeUnaryRequest<Buffer, Res>(rpc.path, (b) => b, (bytes) => rpc.response.decode(bytes),
          body, callMetadata, options, (error, response) => {
            if (error === null && response !== undefined) resolve(response);
            else reject(toClientError(error, rpc.path, address));
          });
      } catch (error) {
        // grpc-js throws synchronously only for a closed channel: the request was never sent.
        reject(new EtcdClientError({ grpcCode: GrpcStatus.UNAVAILABLE, method: rpc.path, endpoint: address,
          message: `No connection established: ${error instanceof Error ? error.message : String(error)}`,
          cause: error }));
      }
    });
  }

  /** Sends with the retry policy of the file comment. Throws EtcdClientError. */
  private async send<Req, Res>(rpc: Rpc<Req, Res>, request: Req, retrySafe: boolean, metadata: grpc.Metadata,
    noDeadline = false): Promise<Res> {
    const encoded = rpc.request.encode(request);
    const body = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    const tried = new Set<string>();
    let waited = false;
    for (let attempt = 1; ; attempt++) {
      const channel = this.pool.pickAvoiding(tried);
      const waitForReady = attempt > this.endpointCount;
      try {
        return await this.attempt(rpc, body, channel, metadata, noDeadline, waitForReady);
      } catch (error) {
        assert(error instanceof EtcdClientError, 'attempt rejects with EtcdClientError');
        if (error.grpcCode !== GrpcStatus.UNAVAILABLE) throw error;
        this.pool.reportUnavailable(channel);
        tried.add(channel.endpoint.address);
        waited ||= waitForReady;
        // Every endpoint refused a connection (the request never left): wait once for any of them.
        if (attempt >= this.endpointCount && neverApplied(error) && !waited && !noDeadline) continue;
        if (attempt >= this.endpointCount || !(retrySafe || neverApplied(error))) throw error;
      }
    }
  }

  /**
   * One unary call: `init` is a partial request (protobuf defaults for the rest); `noDeadline` for calls
   * that wait by design (Lock, Campaign). Throws EtcdClientError.
   */
  protected async unary<Req, Res>(rpc: Rpc<Req, Res>, init: Partial<Req>, retrySafe: boolean, noDeadline = false):
    Promise<Res> {
    const request = rpc.request.create(init);
    try {
      return await this.send(rpc, request, retrySafe, await this.metadata(), noDeadline);
    } catch (error) {
      if (!(error instanceof EtcdClientError) || error.etcdCode !== 'ERR_INVALID_AUTH_TOKEN' ||
        this.auth === undefined) throw error;
      this.token = undefined;
      return this.send(rpc, request, retrySafe, await this.metadata(), noDeadline);
    }
  }

  /** A connection for a new stream (round-robin). Throws AssertionError after close(). */
  protected streamChannel(): Channel {
    return this.pool.pick();
  }

  /** Marks `channel` as failed so the next stream or call goes to another endpoint. */
  protected streamFailed(channel: Channel): void {
    this.pool.reportUnavailable(channel);
  }
}
