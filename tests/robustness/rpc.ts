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

/** One connection to one member. */
export class MemberConnection {
  private readonly client: grpc.Client;

  constructor(readonly endpoint: string, private readonly callTimeoutMs = CALL_TIMEOUT_MS_DEFAULT) {
    this.client = new grpc.Client(endpoint, grpc.credentials.createInsecure(), {
      'grpc.enable_retries': 0, 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 500,
    });
  }

  /** One unary call. Rejects with RpcError (including DEADLINE_EXCEEDED after the call timeout). */
  unary<Req, Res>(path: string, reqCodec: MessageCodec<Req>, resCodec: MessageCodec<Res>, request: Partial<Req>,
    timeoutMs = this.callTimeoutMs): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(path, serializer(reqCodec), deserializer(resCodec), reqCodec.create(request),
        new grpc.Metadata(), { deadline: new Date(Date.now() + timeoutMs) },
        (error, response) => {
          if (error !== null) reject(new RpcError(error.code ?? -1, error.details || error.message));
          else if (response === undefined) reject(new RpcError(-1, 'empty response'));
          else resolve(response);
        });
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

  /** Opens a Watch stream (no deadline). */
  watchStream(): grpc.ClientDuplexStream<pb.WatchRequest, pb.WatchResponse> {
    return this.client.makeBidiStreamRequest('/etcdserverpb.Watch/Watch', serializer(pb.WatchRequest),
      deserializer(pb.WatchResponse), new grpc.Metadata(), {});
  }

  close(): void {
    this.client.close();
  }
}
