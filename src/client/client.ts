/**
 * EtcdClient: a small etcd v3 client over @grpc/grpc-js and the generated codecs. Each unary method
 * takes a partial request message (missing fields take protobuf defaults) and resolves with the
 * decoded response, or rejects with EtcdClientError. Streams (watch, leaseKeepAlive, snapshot,
 * observe) are async iterables. Retry policy and auth: see client-core.ts.
 */
import { GrpcStatus } from '../base/errors.js';
import * as pb from '../proto/gen/etcdserverpb.js';
import type * as el from '../proto/gen/v3electionpb.js';
import type * as lk from '../proto/gen/v3lockpb.js';
import { EtcdClientCore } from './client-core.js';
import { RPCS, STREAM_RPCS } from './rpcs.js';
import { openBidi, openServerStream } from './streams.js';
import type { BidiStream, ServerStream } from './streams.js';

export { DIAL_TIMEOUT_MS_DEFAULT, KEEPALIVE_TIME_MS_MIN } from './client-core.js';
export type { EtcdClientOptions } from './client-core.js';

/** A connected etcd v3 client. Create, optionally `await dial()`, use, then `close()`. */
export class EtcdClient extends EtcdClientCore {
  /** KV Range (retried on Unavailable). Throws EtcdClientError. */
  range(request: Partial<pb.RangeRequest>): Promise<pb.RangeResponse> {
    return this.unary(RPCS.range, request, true);
  }

  /** KV Put (never retried). Throws EtcdClientError. */
  put(request: Partial<pb.PutRequest>): Promise<pb.PutResponse> {
    return this.unary(RPCS.put, request, false);
  }

  /** KV DeleteRange (never retried). Throws EtcdClientError. */
  deleteRange(request: Partial<pb.DeleteRangeRequest>): Promise<pb.DeleteRangeResponse> {
    return this.unary(RPCS.deleteRange, request, false);
  }

  /**
   * KV Txn (never retried). Ops and compares are full messages: build them with
   * `pb.RequestOp.create({ requestPut: pb.PutRequest.create({...}) })`. Throws EtcdClientError.
   */
  txn(request: Partial<pb.TxnRequest>): Promise<pb.TxnResponse> {
    return this.unary(RPCS.txn, request, false);
  }

  /** KV Compact (never retried). Throws EtcdClientError. */
  compact(request: Partial<pb.CompactionRequest>): Promise<pb.CompactionResponse> {
    return this.unary(RPCS.compact, request, false);
  }

  /** Lease LeaseGrant (never retried). Throws EtcdClientError. */
  leaseGrant(request: Partial<pb.LeaseGrantRequest>): Promise<pb.LeaseGrantResponse> {
    return this.unary(RPCS.leaseGrant, request, false);
  }

  /** Lease LeaseRevoke (never retried). Throws EtcdClientError. */
  leaseRevoke(request: Partial<pb.LeaseRevokeRequest>): Promise<pb.LeaseRevokeResponse> {
    return this.unary(RPCS.leaseRevoke, request, false);
  }

  /** Lease LeaseTimeToLive (retried). Throws EtcdClientError. */
  leaseTimeToLive(request: Partial<pb.LeaseTimeToLiveRequest>): Promise<pb.LeaseTimeToLiveResponse> {
    return this.unary(RPCS.leaseTimeToLive, request, true);
  }

  /** Lease LeaseLeases (retried). Throws EtcdClientError. */
  leaseLeases(request: Partial<pb.LeaseLeasesRequest> = {}): Promise<pb.LeaseLeasesResponse> {
    return this.unary(RPCS.leaseLeases, request, true);
  }

  /** Cluster MemberList (retried). Throws EtcdClientError. */
  memberList(request: Partial<pb.MemberListRequest> = {}): Promise<pb.MemberListResponse> {
    return this.unary(RPCS.memberList, request, true);
  }

  /** Cluster MemberAdd (never retried). Throws EtcdClientError. */
  memberAdd(request: Partial<pb.MemberAddRequest>): Promise<pb.MemberAddResponse> {
    return this.unary(RPCS.memberAdd, request, false);
  }

  /** Cluster MemberRemove (never retried). Throws EtcdClientError. */
  memberRemove(request: Partial<pb.MemberRemoveRequest>): Promise<pb.MemberRemoveResponse> {
    return this.unary(RPCS.memberRemove, request, false);
  }

  /** Cluster MemberUpdate (never retried). Throws EtcdClientError. */
  memberUpdate(request: Partial<pb.MemberUpdateRequest>): Promise<pb.MemberUpdateResponse> {
    return this.unary(RPCS.memberUpdate, request, false);
  }

  /** Cluster MemberPromote (never retried). Throws EtcdClientError. */
  memberPromote(request: Partial<pb.MemberPromoteRequest>): Promise<pb.MemberPromoteResponse> {
    return this.unary(RPCS.memberPromote, request, false);
  }

  /** Maintenance Alarm (retried only for GET). Throws EtcdClientError. */
  alarm(request: Partial<pb.AlarmRequest> = {}): Promise<pb.AlarmResponse> {
    const isGet = (request.action ?? pb.AlarmRequest_AlarmAction.GET) === pb.AlarmRequest_AlarmAction.GET;
    return this.unary(RPCS.alarm, request, isGet);
  }

  /** Maintenance Status of the member the request lands on (retried). Throws EtcdClientError. */
  status(request: Partial<pb.StatusRequest> = {}): Promise<pb.StatusResponse> {
    return this.unary(RPCS.status, request, true);
  }

  /** Maintenance Defragment (never retried). Throws EtcdClientError. */
  defragment(request: Partial<pb.DefragmentRequest> = {}): Promise<pb.DefragmentResponse> {
    return this.unary(RPCS.defragment, request, false);
  }

  /** Maintenance Hash (retried). Throws EtcdClientError. */
  hash(request: Partial<pb.HashRequest> = {}): Promise<pb.HashResponse> {
    return this.unary(RPCS.hash, request, true);
  }

  /** Maintenance HashKV (retried). Throws EtcdClientError. */
  hashKV(request: Partial<pb.HashKVRequest> = {}): Promise<pb.HashKVResponse> {
    return this.unary(RPCS.hashKV, request, true);
  }

  /** Maintenance MoveLeader (never retried). Throws EtcdClientError. */
  moveLeader(request: Partial<pb.MoveLeaderRequest>): Promise<pb.MoveLeaderResponse> {
    return this.unary(RPCS.moveLeader, request, false);
  }

  /** Auth AuthStatus (retried). Throws EtcdClientError. */
  authStatus(request: Partial<pb.AuthStatusRequest> = {}): Promise<pb.AuthStatusResponse> {
    return this.unary(RPCS.authStatus, request, true);
  }

  /** Auth Authenticate (retried: it has no side effect besides issuing a token). Throws EtcdClientError. */
  authenticate(request: Partial<pb.AuthenticateRequest>): Promise<pb.AuthenticateResponse> {
    return this.unary(RPCS.authenticate, request, true);
  }

  /** Auth AuthEnable (never retried). Throws EtcdClientError. */
  authEnable(): Promise<pb.AuthEnableResponse> { return this.unary(RPCS.authEnable, {}, false); }
  /** Auth AuthDisable (never retried). Throws EtcdClientError. */
  authDisable(): Promise<pb.AuthDisableResponse> { return this.unary(RPCS.authDisable, {}, false); }
  /** Auth UserAdd (never retried). Throws EtcdClientError. */
  userAdd(r: Partial<pb.AuthUserAddRequest>): Promise<pb.AuthUserAddResponse> {
    return this.unary(RPCS.userAdd, r, false);
  }
  /** Auth UserGet (retried). Throws EtcdClientError. */
  userGet(r: Partial<pb.AuthUserGetRequest>): Promise<pb.AuthUserGetResponse> {
    return this.unary(RPCS.userGet, r, true);
  }
  /** Auth UserList (retried). Throws EtcdClientError. */
  userList(): Promise<pb.AuthUserListResponse> { return this.unary(RPCS.userList, {}, true); }
  /** Auth UserDelete (never retried). Throws EtcdClientError. */
  userDelete(r: Partial<pb.AuthUserDeleteRequest>): Promise<pb.AuthUserDeleteResponse> {
    return this.unary(RPCS.userDelete, r, false);
  }
  /** Auth UserChangePassword (never retried). Throws EtcdClientError. */
  userChangePassword(r: Partial<pb.AuthUserChangePasswordRequest>): Promise<pb.AuthUserChangePasswordResponse> {
    return this.unary(RPCS.userChangePassword, r, false);
  }
  /** Auth UserGrantRole (never retried). Throws EtcdClientError. */
  userGrantRole(r: Partial<pb.AuthUserGrantRoleRequest>): Promise<pb.AuthUserGrantRoleResponse> {
    return this.unary(RPCS.userGrantRole, r, false);
  }
  /** Auth UserRevokeRole (never retried). Throws EtcdClientError. */
  userRevokeRole(r: Partial<pb.AuthUserRevokeRoleRequest>): Promise<pb.AuthUserRevokeRoleResponse> {
    return this.unary(RPCS.userRevokeRole, r, false);
  }
  /** Auth RoleAdd (never retried). Throws EtcdClientError. */
  roleAdd(r: Partial<pb.AuthRoleAddRequest>): Promise<pb.AuthRoleAddResponse> {
    return this.unary(RPCS.roleAdd, r, false);
  }
  /** Auth RoleGet (retried). Throws EtcdClientError. */
  roleGet(r: Partial<pb.AuthRoleGetRequest>): Promise<pb.AuthRoleGetResponse> {
    return this.unary(RPCS.roleGet, r, true);
  }
  /** Auth RoleList (retried). Throws EtcdClientError. */
  roleList(): Promise<pb.AuthRoleListResponse> { return this.unary(RPCS.roleList, {}, true); }
  /** Auth RoleDelete (never retried). Throws EtcdClientError. */
  roleDelete(r: Partial<pb.AuthRoleDeleteRequest>): Promise<pb.AuthRoleDeleteResponse> {
    return this.unary(RPCS.roleDelete, r, false);
  }
  /** Auth RoleGrantPermission (never retried); `perm` must be a full `authpb.Permission`. Throws EtcdClientError. */
  roleGrantPermission(r: Partial<pb.AuthRoleGrantPermissionRequest>): Promise<pb.AuthRoleGrantPermissionResponse> {
    return this.unary(RPCS.roleGrantPermission, r, false);
  }
  /** Auth RoleRevokePermission (never retried). Throws EtcdClientError. */
  roleRevokePermission(r: Partial<pb.AuthRoleRevokePermissionRequest>):
    Promise<pb.AuthRoleRevokePermissionResponse> {
    return this.unary(RPCS.roleRevokePermission, r, false);
  }

  /** v3lock Lock: waits for the lock without a deadline (never retried). Throws EtcdClientError. */
  lock(r: Partial<lk.LockRequest>): Promise<lk.LockResponse> { return this.unary(RPCS.lock, r, false, true); }
  /** v3lock Unlock (never retried). Throws EtcdClientError. */
  unlock(r: Partial<lk.UnlockRequest>): Promise<lk.UnlockResponse> { return this.unary(RPCS.unlock, r, false); }
  /** v3election Campaign: resolves once elected, without a deadline (never retried). Throws EtcdClientError. */
  campaign(r: Partial<el.CampaignRequest>): Promise<el.CampaignResponse> {
    return this.unary(RPCS.campaign, r, false, true);
  }
  /** v3election Proclaim (never retried). Throws EtcdClientError. */
  proclaim(r: Partial<el.ProclaimRequest>): Promise<el.ProclaimResponse> {
    return this.unary(RPCS.proclaim, r, false);
  }
  /** v3election Leader (retried). Throws EtcdClientError (`election: no leader` when none). */
  leader(r: Partial<el.LeaderRequest>): Promise<el.LeaderResponse> { return this.unary(RPCS.leader, r, true); }
  /** v3election Resign (never retried). Throws EtcdClientError. */
  resign(r: Partial<el.ResignRequest>): Promise<el.ResignResponse> { return this.unary(RPCS.resign, r, false); }

  /**
   * Opens a Watch stream: send `{ createRequest: pb.WatchCreateRequest.create({...}) }` (or cancel/progress
   * requests) and iterate the responses. Never re-opened automatically. `requireLeader` makes the
   * member end the stream when it loses its leader (clientv3's WithRequireLeader). Throws EtcdClientError (auth).
   */
  async watch(options: { requireLeader?: boolean } = {}): Promise<BidiStream<pb.WatchRequest, pb.WatchResponse>> {
    const metadata = await this.metadata();
    if (options.requireLeader === true) metadata.set('hasleader', 'true');
    const channel = this.streamChannel();
    return openBidi(channel, STREAM_RPCS.watch, metadata, (e) => {
      if (e.grpcCode === GrpcStatus.UNAVAILABLE) this.streamFailed(channel);
    });
  }

  /** Opens a LeaseKeepAlive stream: send `{ ID }` per renewal, iterate the TTL responses. */
  async leaseKeepAlive(): Promise<BidiStream<pb.LeaseKeepAliveRequest, pb.LeaseKeepAliveResponse>> {
    const metadata = await this.metadata();
    const channel = this.streamChannel();
    return openBidi(channel, STREAM_RPCS.leaseKeepAlive, metadata, (e) => {
      if (e.grpcCode === GrpcStatus.UNAVAILABLE) this.streamFailed(channel);
    });
  }

  /**
   * Streams a backend snapshot of the member the stream lands on: iterate `{ blob, remainingBytes }`
   * chunks; concatenated blobs are the database file (etcd appends a sha256 trailer). Throws EtcdClientError.
   */
  async snapshot(): Promise<ServerStream<pb.SnapshotResponse>> {
    const metadata = await this.metadata();
    const channel = this.streamChannel();
    return openServerStream(channel, STREAM_RPCS.snapshot, {}, metadata, (e) => {
      if (e.grpcCode === GrpcStatus.UNAVAILABLE) this.streamFailed(channel);
    });
  }

  /** v3election Observe: a response per leader change of election `name`. Throws EtcdClientError. */
  async observe(r: Partial<el.LeaderRequest>): Promise<ServerStream<el.LeaderResponse>> {
    const metadata = await this.metadata();
    const channel = this.streamChannel();
    return openServerStream(channel, STREAM_RPCS.observe, r, metadata, (e) => {
      if (e.grpcCode === GrpcStatus.UNAVAILABLE) this.streamFailed(channel);
    });
  }
}
