/**
 * EtcdClient: a small etcd v3 client over @grpc/grpc-js and the generated codecs. Each method takes
 * a partial request message (missing fields take protobuf defaults) and resolves with the decoded
 * response, or rejects with EtcdClientError.
 *
 * Retries: only requests that are safe to send twice (reads: range, status, member list, hashes,
 * lease queries, alarm GET) are retried, and only on Unavailable, each time on another endpoint.
 * Writes (put, deleteRange, txn, compact, lease grant/revoke, member changes) are never re-sent: a
 * write that failed with Unavailable may still have been applied. The failing connection is
 * re-pointed at the next endpoint either way, so later requests fail over.
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

/** Constructor options. */
export interface EtcdClientOptions {
  /** `host:port`, `http://host:port` or `https://host:port` (https turns on TLS). */
  endpoints: string[];
  /** Number of gRPC connections, used round-robin (default 1). */
  conns?: number;
  /** How long dial() waits for a connection (default DIAL_TIMEOUT_MS_DEFAULT). */
  dialTimeoutMs?: number;
  /** Per-request deadline; none when omitted. */
  requestTimeoutMs?: number;
  /** TLS material (PEM buffers). Given, or any https:// endpoint, makes every connection TLS. */
  tls?: TlsOptions;
  /** Sent as the `token` metadata on every request (from Authenticate). */
  authToken?: string;
}

/** A connected etcd v3 client. Create, optionally `await dial()`, use, then `close()`. */
export class EtcdClient {
  private readonly pool: ChannelPool;
  private readonly dialTimeoutMs: number;
  private readonly requestTimeoutMs: number | undefined;
  private readonly metadata: grpc.Metadata;
  private readonly endpointCount: number;

  /** Throws RangeError on a malformed endpoint and AssertionError on bad numeric options. */
  constructor(options: EtcdClientOptions) {
    const endpoints = options.endpoints.map(parseEndpoint);
    if (endpoints.length === 0) throw new RangeError('no endpoints given');
    this.dialTimeoutMs = options.dialTimeoutMs ?? DIAL_TIMEOUT_MS_DEFAULT;
    assert(Number.isFinite(this.dialTimeoutMs) && this.dialTimeoutMs > 0, `bad dialTimeoutMs ${this.dialTimeoutMs}`);
    this.requestTimeoutMs = options.requestTimeoutMs;
    assert(this.requestTimeoutMs === undefined || this.requestTimeoutMs > 0, 'requestTimeoutMs must be positive');
    const secure = endpoints.some((e) => e.secure);
    this.pool = new ChannelPool(endpoints, options.conns ?? 1, makeCredentials(secure, options.tls));
    this.endpointCount = endpoints.length;
    this.metadata = new grpc.Metadata();
    if (options.authToken !== undefined) this.metadata.set('token', options.authToken);
  }

  /**
   * Waits until at least one connection is ready (connections that fail are re-pointed at the next
   * endpoint). Throws EtcdClientError (Unavailable) when none is ready within dialTimeoutMs.
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
    if (outcomes.some((o) => o.status === 'fulfilled')) return;
    const first = outcomes.find((o) => o.status === 'rejected');
    throw new EtcdClientError({ grpcCode: GrpcStatus.UNAVAILABLE, method: 'dial', endpoint: 'all',
      message: `no endpoint ready within ${this.dialTimeoutMs} ms`, cause: first?.reason });
  }

  /** Closes every connection; pending calls fail. Idempotent. */
  close(): void {
    this.pool.close();
  }

  private attempt<Req, Res>(rpc: Rpc<Req, Res>, body: Buffer, channel: Channel): Promise<Res> {
    const options: grpc.CallOptions = this.requestTimeoutMs === undefined ? {}
      : { deadline: new Date(Date.now() + this.requestTimeoutMs) };
    const address = channel.endpoint.address;
    return new Promise<Res>((resolve, reject) => {
      try {
        channel.client.makeUnaryRequest<Buffer, Res>(rpc.path, (b) => b, (bytes) => rpc.response.decode(bytes),
          body, this.metadata, options, (error, response) => {
            if (error === null && response !== undefined) resolve(response);
            else reject(toClientError(error, rpc.path, address));
          });
      } catch (error) {
        // grpc-js throws synchronously only for a closed channel: the request was never sent.
        reject(new EtcdClientError({ grpcCode: GrpcStatus.UNAVAILABLE, method: rpc.path, endpoint: address,
          message: error instanceof Error ? error.message : String(error), cause: error }));
      }
    });
  }

  private async call<Req, Res>(rpc: Rpc<Req, Res>, init: Partial<Req>, retrySafe: boolean): Promise<Res> {
    const encoded = rpc.request.encode(rpc.request.create(init));
    const body = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    const attempts = retrySafe ? this.endpointCount : 1;
    const tried = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const channel = this.pool.pickAvoiding(tried);
      try {
        return await this.attempt(rpc, body, channel);
      } catch (error) {
        assert(error instanceof EtcdClientError, 'attempt rejects with EtcdClientError');
        if (error.grpcCode !== GrpcStatus.UNAVAILABLE) throw error;
        this.pool.reportUnavailable(channel);
        tried.add(channel.endpoint.address);
        if (attempt >= attempts) throw error;
      }
    }
  }

  /** KV Range (retried on Unavailable). Throws EtcdClientError. */
  range(request: Partial<pb.RangeRequest>): Promise<pb.RangeResponse> {
    return this.call(RPCS.range, request, true);
  }

  /** KV Put (never retried). Throws EtcdClientError. */
  put(request: Partial<pb.PutRequest>): Promise<pb.PutResponse> {
    return this.call(RPCS.put, request, false);
  }

  /** KV DeleteRange (never retried). Throws EtcdClientError. */
  deleteRange(request: Partial<pb.DeleteRangeRequest>): Promise<pb.DeleteRangeResponse> {
    return this.call(RPCS.deleteRange, request, false);
  }

  /**
   * KV Txn (never retried). Ops and compares are full messages: build them with
   * `pb.RequestOp.create({ requestPut: pb.PutRequest.create({...}) })`. Throws EtcdClientError.
   */
  txn(request: Partial<pb.TxnRequest>): Promise<pb.TxnResponse> {
    return this.call(RPCS.txn, request, false);
  }

  /** KV Compact (never retried). Throws EtcdClientError. */
  compact(request: Partial<pb.CompactionRequest>): Promise<pb.CompactionResponse> {
    return this.call(RPCS.compact, request, false);
  }

  /** Lease LeaseGrant (never retried). Throws EtcdClientError. */
  leaseGrant(request: Partial<pb.LeaseGrantRequest>): Promise<pb.LeaseGrantResponse> {
    return this.call(RPCS.leaseGrant, request, false);
  }

  /** Lease LeaseRevoke (never retried). Throws EtcdClientError. */
  leaseRevoke(request: Partial<pb.LeaseRevokeRequest>): Promise<pb.LeaseRevokeResponse> {
    return this.call(RPCS.leaseRevoke, request, false);
  }

  /** Lease LeaseTimeToLive (retried). Throws EtcdClientError. */
  leaseTimeToLive(request: Partial<pb.LeaseTimeToLiveRequest>): Promise<pb.LeaseTimeToLiveResponse> {
    return this.call(RPCS.leaseTimeToLive, request, true);
  }

  /** Lease LeaseLeases (retried). Throws EtcdClientError. */
  leaseLeases(request: Partial<pb.LeaseLeasesRequest> = {}): Promise<pb.LeaseLeasesResponse> {
    return this.call(RPCS.leaseLeases, request, true);
  }

  /** Cluster MemberList (retried). Throws EtcdClientError. */
  memberList(request: Partial<pb.MemberListRequest> = {}): Promise<pb.MemberListResponse> {
    return this.call(RPCS.memberList, request, true);
  }

  /** Cluster MemberAdd (never retried). Throws EtcdClientError. */
  memberAdd(request: Partial<pb.MemberAddRequest>): Promise<pb.MemberAddResponse> {
    return this.call(RPCS.memberAdd, request, false);
  }

  /** Cluster MemberRemove (never retried). Throws EtcdClientError. */
  memberRemove(request: Partial<pb.MemberRemoveRequest>): Promise<pb.MemberRemoveResponse> {
    return this.call(RPCS.memberRemove, request, false);
  }

  /** Cluster MemberUpdate (never retried). Throws EtcdClientError. */
  memberUpdate(request: Partial<pb.MemberUpdateRequest>): Promise<pb.MemberUpdateResponse> {
    return this.call(RPCS.memberUpdate, request, false);
  }

  /** Cluster MemberPromote (never retried). Throws EtcdClientError. */
  memberPromote(request: Partial<pb.MemberPromoteRequest>): Promise<pb.MemberPromoteResponse> {
    return this.call(RPCS.memberPromote, request, false);
  }

  /** Maintenance Alarm (retried only for GET). Throws EtcdClientError. */
  alarm(request: Partial<pb.AlarmRequest> = {}): Promise<pb.AlarmResponse> {
    const isGet = (request.action ?? pb.AlarmRequest_AlarmAction.GET) === pb.AlarmRequest_AlarmAction.GET;
    return this.call(RPCS.alarm, request, isGet);
  }

  /** Maintenance Status of the member the request lands on (retried). Throws EtcdClientError. */
  status(request: Partial<pb.StatusRequest> = {}): Promise<pb.StatusResponse> {
    return this.call(RPCS.status, request, true);
  }

  /** Maintenance Defragment (never retried). Throws EtcdClientError. */
  defragment(request: Partial<pb.DefragmentRequest> = {}): Promise<pb.DefragmentResponse> {
    return this.call(RPCS.defragment, request, false);
  }

  /** Maintenance Hash (retried). Throws EtcdClientError. */
  hash(request: Partial<pb.HashRequest> = {}): Promise<pb.HashResponse> {
    return this.call(RPCS.hash, request, true);
  }

  /** Maintenance HashKV (retried). Throws EtcdClientError. */
  hashKV(request: Partial<pb.HashKVRequest> = {}): Promise<pb.HashKVResponse> {
    return this.call(RPCS.hashKV, request, true);
  }

  /** Maintenance MoveLeader (never retried). Throws EtcdClientError. */
  moveLeader(request: Partial<pb.MoveLeaderRequest>): Promise<pb.MoveLeaderResponse> {
    return this.call(RPCS.moveLeader, request, false);
  }

  /** Auth AuthStatus (retried). Throws EtcdClientError. */
  authStatus(request: Partial<pb.AuthStatusRequest> = {}): Promise<pb.AuthStatusResponse> {
    return this.call(RPCS.authStatus, request, true);
  }

  /** Auth Authenticate (retried: it has no side effect besides issuing a token). Throws EtcdClientError. */
  authenticate(request: Partial<pb.AuthenticateRequest>): Promise<pb.AuthenticateResponse> {
    return this.call(RPCS.authenticate, request, true);
  }
}
