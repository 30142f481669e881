/**
 * The unary RPCs the client exposes, bound to the generated codecs and checked against the generated
 * service descriptors at module load (so a renamed or re-typed method fails loudly, not on the wire).
 */
import { assert } from '../base/assert.js';
import type { MessageCodec, ServiceDescriptor } from '../proto/runtime.js';
import * as pb from '../proto/gen/etcdserverpb.js';
import * as el from '../proto/gen/v3electionpb.js';
import * as lk from '../proto/gen/v3lockpb.js';

/** One unary RPC: its gRPC path and request/response codecs. */
export interface Rpc<Req, Res> {
  readonly path: string;
  readonly request: MessageCodec<Req>;
  readonly response: MessageCodec<Res>;
}

/**
 * Throws AssertionError when `service` has no method `name` with exactly these codecs and this
 * streaming shape (`unary` by default).
 */
function rpc<Req, Res>(service: ServiceDescriptor, name: string, request: MessageCodec<Req>,
  response: MessageCodec<Res>, shape: 'unary' | 'serverStream' | 'bidi' = 'unary'): Rpc<Req, Res> {
  const method = service.methods.find((m) => m.name === name);
  assert(method !== undefined, `${service.fullName} has no method ${name}`);
  assert(method.requestStream === (shape === 'bidi') && method.responseStream === (shape !== 'unary'),
    `${service.fullName}/${name} is not ${shape}`);
  assert(method.requestType === request && method.responseType === response, `${name}: codec mismatch`);
  return { path: `/${service.fullName}/${name}`, request, response };
}

const kv = pb.KVServiceDescriptor;
const lease = pb.LeaseServiceDescriptor;
const cluster = pb.ClusterServiceDescriptor;
const maintenance = pb.MaintenanceServiceDescriptor;
const auth = pb.AuthServiceDescriptor;

/** Every unary RPC the client sends. */
export const RPCS = {
  range: rpc(kv, 'Range', pb.RangeRequest, pb.RangeResponse),
  put: rpc(kv, 'Put', pb.PutRequest, pb.PutResponse),
  deleteRange: rpc(kv, 'DeleteRange', pb.DeleteRangeRequest, pb.DeleteRangeResponse),
  txn: rpc(kv, 'Txn', pb.TxnRequest, pb.TxnResponse),
  compact: rpc(kv, 'Compact', pb.CompactionRequest, pb.CompactionResponse),
  leaseGrant: rpc(lease, 'LeaseGrant', pb.LeaseGrantRequest, pb.LeaseGrantResponse),
  leaseRevoke: rpc(lease, 'LeaseRevoke', pb.LeaseRevokeRequest, pb.LeaseRevokeResponse),
  leaseTimeToLive: rpc(lease, 'LeaseTimeToLive', pb.LeaseTimeToLiveRequest, pb.LeaseTimeToLiveResponse),
  leaseLeases: rpc(lease, 'LeaseLeases', pb.LeaseLeasesRequest, pb.LeaseLeasesResponse),
  memberList: rpc(cluster, 'MemberList', pb.MemberListRequest, pb.MemberListResponse),
  memberAdd: rpc(cluster, 'MemberAdd', pb.MemberAddRequest, pb.MemberAddResponse),
  memberRemove: rpc(cluster, 'MemberRemove', pb.MemberRemoveRequest, pb.MemberRemoveResponse),
  memberUpdate: rpc(cluster, 'MemberUpdate', pb.MemberUpdateRequest, pb.MemberUpdateResponse),
  memberPromote: rpc(cluster, 'MemberPromote', pb.MemberPromoteRequest, pb.MemberPromoteResponse),
  alarm: rpc(maintenance, 'Alarm', pb.AlarmRequest, pb.AlarmResponse),
  status: rpc(maintenance, 'Status', pb.StatusRequest, pb.StatusResponse),
  defragment: rpc(maintenance, 'Defragment', pb.DefragmentRequest, pb.DefragmentResponse),
  hash: rpc(maintenance, 'Hash', pb.HashRequest, pb.HashResponse),
  hashKV: rpc(maintenance, 'HashKV', pb.HashKVRequest, pb.HashKVResponse),
  moveLeader: rpc(maintenance, 'MoveLeader', pb.MoveLeaderRequest, pb.MoveLeaderResponse),
  authStatus: rpc(auth, 'AuthStatus', pb.AuthStatusRequest, pb.AuthStatusResponse),
  authenticate: rpc(auth, 'Authenticate', pb.AuthenticateRequest, pb.AuthenticateResponse),
  authEnable: rpc(auth, 'AuthEnable', pb.AuthEnableRequest, pb.AuthEnableResponse),
  authDisable: rpc(auth, 'AuthDisable', pb.AuthDisableRequest, pb.AuthDisableResponse),
  userAdd: rpc(auth, 'UserAdd', pb.AuthUserAddRequest, pb.AuthUserAddResponse),
  userGet: rpc(auth, 'UserGet', pb.AuthUserGetRequest, pb.AuthUserGetResponse),
  userList: rpc(auth, 'UserList', pb.AuthUserListRequest, pb.AuthUserListResponse),
  userDelete: rpc(auth, 'UserDelete', pb.AuthUserDeleteRequest, pb.AuthUserDeleteResponse),
  userChangePassword: rpc(auth, 'UserChangePassword', pb.AuthUserChangePasswordRequest,
    pb.AuthUserChangePasswordResponse),
  userGrantRole: rpc(auth, 'UserGrantRole', pb.AuthUserGrantRoleRequest, pb.AuthUserGrantRoleResponse),
  userRevokeRole: rpc(auth, 'UserRevokeRole', pb.AuthUserRevokeRoleRequest, pb.AuthUserRevokeRoleResponse),
  roleAdd: rpc(auth, 'RoleAdd', pb.AuthRoleAddRequest, pb.AuthRoleAddResponse),
  roleGet: rpc(auth, 'RoleGet', pb.AuthRoleGetRequest, pb.AuthRoleGetResponse),
  roleList: rpc(auth, 'RoleList', pb.AuthRoleListRequest, pb.AuthRoleListResponse),
  roleDelete: rpc(auth, 'RoleDelete', pb.AuthRoleDeleteRequest, pb.AuthRoleDeleteResponse),
  roleGrantPermission: rpc(auth, 'RoleGrantPermission', pb.AuthRoleGrantPermissionRequest,
    pb.AuthRoleGrantPermissionResponse),
  roleRevokePermission: rpc(auth, 'RoleRevokePermission', pb.AuthRoleRevokePermissionRequest,
    pb.AuthRoleRevokePermissionResponse),
  lock: rpc(lk.LockServiceDescriptor, 'Lock', lk.LockRequest, lk.LockResponse),
  unlock: rpc(lk.LockServiceDescriptor, 'Unlock', lk.UnlockRequest, lk.UnlockResponse),
  campaign: rpc(el.ElectionServiceDescriptor, 'Campaign', el.CampaignRequest, el.CampaignResponse),
  proclaim: rpc(el.ElectionServiceDescriptor, 'Proclaim', el.ProclaimRequest, el.ProclaimResponse),
  leader: rpc(el.ElectionServiceDescriptor, 'Leader', el.LeaderRequest, el.LeaderResponse),
  resign: rpc(el.ElectionServiceDescriptor, 'Resign', el.ResignRequest, el.ResignResponse),
} as const;

/** The streaming RPCs. */
export const STREAM_RPCS = {
  watch: rpc(pb.WatchServiceDescriptor, 'Watch', pb.WatchRequest, pb.WatchResponse, 'bidi'),
  leaseKeepAlive: rpc(lease, 'LeaseKeepAlive', pb.LeaseKeepAliveRequest, pb.LeaseKeepAliveResponse, 'bidi'),
  snapshot: rpc(maintenance, 'Snapshot', pb.SnapshotRequest, pb.SnapshotResponse, 'serverStream'),
  observe: rpc(el.ElectionServiceDescriptor, 'Observe', el.LeaderRequest, el.LeaderResponse, 'serverStream'),
} as const;
