/**
 * A minimal etcd v3 gRPC client for the robustness traffic, pinned to ONE member (as etcd's robustness
 * suite pins each client): unary calls with a deadline and never retried (a failed write must stay
 * "indeterminate", never silently re-sent), plus raw Watch streams. Built directly on @grpc/grpc-js and
 * the generated codecs so the recorded history is exactly what went over the wire.
 */
import * as grpc from '@grpc/grpc-js';
import * as pb from '../../src/proto/gen/etcdserverpb.js';
import type { MessageCodec } from '../../src/proto/runtime.js';

export { pb };

/** Default per-call deadline. */
export const CALL_TIMEOUT_MS_DEFAULT = 3_000;

const serializer = <T>(codec: MessageCodec<T>) => (m: T): Buffer => Buffer.from(codec.encode(m));
const deserializer = <T>(codec: MessageCodec<T>) => (b: Buffer): T => codec.decode(b);

/** A failed call: gRPC status code and message (etcd's `etcdserver: ...` text when the server sent one). */
export class RpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** Client TLS (https endpoints) and, optionally, etcd auth as one user (the secure profile). */
export interface Security {
  /** PEM of the CA that issued the members' server certificate. */
  caPem: Buffer;
  user?: { name: string; password: string };
}

/** Deadline of an Authenticate call. */
const AUTHENTICATE_TIMEOUT_MS = 10_000;
/** gRPC status UNAUTHENTICATED (etcd's invalid/expired token). */
const UNAUTHENTICATED = 16;

/** One connection to one member. */
export class MemberConnection {
  private readonly client: grpc.Client;
  /**
   * Auth tokens by `endpoint|user`, shared by the connections of this process (a simple token is only
   * known to the member that issued it); fetched on first use, dropped when the server rejects one.
   */
  private static readonly tokens = new Map<string, Promise<string>>();

  constructor(readonly endpoint: string, private readonly callTimeoutMs = CALL_TIMEOUT_MS_DEFAULT,
    private readonly security?: Security) {
    const credentials = security === undefined ? grpc.credentials.createInsecure()
      : grpc.credentials.createSsl(security.caPem);
    this.client = new grpc.Client(endpoint, credentials, {
      'grpc.enable_retries': 0, 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 500,
      // The member certificate names localhost too; an IP as TLS server name draws a Node deprecation warning.
      ...(security === undefined ? {} : { 'grpc.ssl_target_name_override': 'localhost' }),
    });
  }

  /**
   * One unary call (authenticated first when the connection has a user). Rejects with RpcError
   * (including DEADLINE_EXCEEDED after the call timeout). An invalid-token rejection drops the token so
   * the next call authenticates again (the call itself is not retried: it stays a recorded failure).
   */
  async unary<Req, Res>(path: string, reqCodec: MessageCodec<Req>, resCodec: MessageCodec<Res>, request: Partial<Req>,
    timeoutMs = this.callTimeoutMs): Promise<Res> {
    const metadata = await this.metadata(timeoutMs);
    try {
      return await this.rawUnary(path, reqCodec, resCodec, request, timeoutMs, metadata);
    } catch (error) {
      if (error instanceof RpcError && (error.code === UNAUTHENTICATED || error.message.includes('auth token'))) {
        this.dropToken();
      }
      throw error;
    }
  }

  private rawUnary<Req, Res>(path: string, reqCodec: MessageCodec<Req>, resCodec: MessageCodec<Res>,
    request: Partial<Req>, timeoutMs: number, metadata: grpc.Metadata): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(path, serializer(reqCodec), deserializer(resCodec), reqCodec.create(request),
        metadata, { deadline: new Date(Date.now() + timeoutMs) },
        (error, response) => {
          if (error !== null) reject(new RpcError(error.code ?? -1, error.details || error.message));
          else if (response === undefined) reject(new RpcError(-1, 'empty response'));
          else resolve(response);
        });
    });
  }

  /** Call metadata: the auth token of the connection's user (authenticating when there is none). */
  async metadata(timeoutMs = this.callTimeoutMs): Promise<grpc.Metadata> {
    const metadata = new grpc.Metadata();
    const user = this.security?.user;
    if (user === undefined) return metadata;
    const id = `${this.endpoint}|${user.name}`;
    let token = MemberConnection.tokens.get(id);
    if (token === undefined) {
      // bcrypt on a loaded machine is slow: authentication gets a longer deadline than a plain call.
      token = this.rawUnary('/etcdserverpb.Auth/Authenticate', pb.AuthenticateRequest, pb.AuthenticateResponse,
        { name: user.name, password: user.password }, Math.max(timeoutMs, AUTHENTICATE_TIMEOUT_MS), new grpc.Metadata())
        .then((r) => r.token);
      MemberConnection.tokens.set(id, token);
      token.catch(() => { if (MemberConnection.tokens.get(id) === token) MemberConnection.tokens.delete(id); });
    }
    metadata.set('token', await token);
    return metadata;
  }

  /** Forgets this connection's user's token on its member (the server rejected it). */
  dropToken(): void {
    const user = this.security?.user;
    if (user !== undefined) MemberConnection.tokens.delete(`${this.endpoint}|${user.name}`);
  }

  /**
   * One keepalive of lease `id` over a fresh LeaseKeepAlive stream: resolves with the TTL the server
   * answered (0: the lease is gone). Rejects with RpcError, or on timeout.
   */
  async leaseKeepAlive(id: bigint, timeoutMs = this.callTimeoutMs): Promise<pb.LeaseKeepAliveResponse> {
    const metadata = await this.metadata(timeoutMs);
    const stream = this.client.makeBidiStreamRequest('/etcdserverpb.Lease/LeaseKeepAlive',
      serializer(pb.LeaseKeepAliveRequest), deserializer(pb.LeaseKeepAliveResponse), metadata,
      { deadline: new Date(Date.now() + timeoutMs) });
    return new Promise((resolve, reject) => {
      const fail = (error: grpc.ServiceError | Error): void => {
        const code = 'code' in error && typeof error.code === 'number' ? error.code : -1;
        if (code === UNAUTHENTICATED) this.dropToken();
        reject(new RpcError(code, 'details' in error && error.details !== '' ? String(error.details) : error.message));
      };
      stream.once('data', (r: pb.LeaseKeepAliveResponse) => {
        resolve(r);
        stream.cancel();
      });
      stream.on('error', fail);
      stream.once('end', () => reject(new RpcError(-1, 'keepalive stream ended without a response')));
      stream.write(pb.LeaseKeepAliveRequest.create({ ID: id }));
    });
  }

  range(r: Partial<pb.RangeRequest>): Promise<pb.RangeResponse> {
    return this.unary('/etcdserverpb.KV/Range', pb.RangeRequest, pb.RangeResponse, r);
  }
  put(r: Partial<pb.PutRequest>): Promise<pb.PutResponse> {
    return this.unary('/etcdserverpb.KV/Put', pb.PutRequest, pb.PutResponse, r);
  }
  deleteRange(r: Partial<pb.DeleteRangeRequest>): Promise<pb.DeleteRangeResponse> {
    return this.unary('/etcdserverpb.KV/DeleteRange', pb.DeleteRangeRequest, pb.DeleteRangeResponse, r);
  }
  txn(r: Partial<pb.TxnRequest>): Promise<pb.TxnResponse> {
    return this.unary('/etcdserverpb.KV/Txn', pb.TxnRequest, pb.TxnResponse, r);
  }
  compact(r: Partial<pb.CompactionRequest>): Promise<pb.CompactionResponse> {
    return this.unary('/etcdserverpb.KV/Compact', pb.CompactionRequest, pb.CompactionResponse, r);
  }
  leaseGrant(r: Partial<pb.LeaseGrantRequest>): Promise<pb.LeaseGrantResponse> {
    return this.unary('/etcdserverpb.Lease/LeaseGrant', pb.LeaseGrantRequest, pb.LeaseGrantResponse, r);
  }
  leaseRevoke(r: Partial<pb.LeaseRevokeRequest>): Promise<pb.LeaseRevokeResponse> {
    return this.unary('/etcdserverpb.Lease/LeaseRevoke', pb.LeaseRevokeRequest, pb.LeaseRevokeResponse, r);
  }
  status(): Promise<pb.StatusResponse> {
    return this.unary('/etcdserverpb.Maintenance/Status', pb.StatusRequest, pb.StatusResponse, {}, 1_500);
  }
  defragment(): Promise<pb.DefragmentResponse> {
    return this.unary('/etcdserverpb.Maintenance/Defragment', pb.DefragmentRequest, pb.DefragmentResponse, {}, 20_000);
  }
  moveLeader(targetId: bigint): Promise<pb.MoveLeaderResponse> {
    return this.unary('/etcdserverpb.Maintenance/MoveLeader', pb.MoveLeaderRequest, pb.MoveLeaderResponse,
      { targetID: targetId }, 10_000);
  }
  memberList(): Promise<pb.MemberListResponse> {
    return this.unary('/etcdserverpb.Cluster/MemberList', pb.MemberListRequest, pb.MemberListResponse, {});
  }
  memberAdd(peerUrls: string[]): Promise<pb.MemberAddResponse> {
    return this.unary('/etcdserverpb.Cluster/MemberAdd', pb.MemberAddRequest, pb.MemberAddResponse,
      { peerURLs: peerUrls }, 10_000);
  }
  memberRemove(id: bigint): Promise<pb.MemberRemoveResponse> {
    return this.unary('/etcdserverpb.Cluster/MemberRemove', pb.MemberRemoveRequest, pb.MemberRemoveResponse,
      { ID: id }, 10_000);
  }

  /** Opens a Watch stream (no deadline) with `metadata` (see metadata()). */
  watchStream(metadata = new grpc.Metadata()): grpc.ClientDuplexStream<pb.WatchRequest, pb.WatchResponse> {
    return this.client.makeBidiStreamRequest('/etcdserverpb.Watch/Watch', serializer(pb.WatchRequest),
      deserializer(pb.WatchResponse), metadata, {});
  }

  close(): void {
    this.client.close();
  }
}
