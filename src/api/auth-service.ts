/**
 * The etcdserverpb.Auth service. Every RPC except Authenticate is proposed through raft as its
 * auth_* request with the caller in the header (the root-role check happens at apply, on every
 * member alike). UserAdd and UserChangePassword hash the password here, in a worker thread, so the
 * raft log carries only the bcrypt hash (as etcd 3.5). Authenticate checks the password locally.
 */
import type * as grpc from '@grpc/grpc-js';
import {
  InternalRaftRequest, type AuthenticateRequest, type AuthUserAddRequest, type AuthUserChangePasswordRequest,
} from '../proto/gen/etcdserverpb.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { authInfoFromCall, type CallLike } from './auth-context.js';
import { unary, type LeaderProbe } from './unary.js';

type RaftField = 'authEnable' | 'authDisable' | 'authStatus' | 'authUserAdd' | 'authUserGet' | 'authUserList' |
  'authUserDelete' | 'authUserChangePassword' | 'authUserGrantRole' | 'authUserRevokeRole' | 'authRoleAdd' |
  'authRoleGet' | 'authRoleList' | 'authRoleDelete' | 'authRoleGrantPermission' | 'authRoleRevokePermission';

export function authHandlers(server: EtcdServer, probe: LeaderProbe): grpc.UntypedServiceImplementation {
  const viaRaft = (field: RaftField, prepare?: (request: never) => Promise<void>) =>
    unary(probe, async (request: unknown, call) => {
      const info = await authInfoFromCall(server, call as unknown as CallLike);
      if (prepare !== undefined) await prepare(request as never);
      return server.proposeAuth(InternalRaftRequest.create({ [field]: request }), info);
    });
  const hashPassword = async (request: AuthUserAddRequest | AuthUserChangePasswordRequest): Promise<void> => {
    const noPassword = 'options' in request && request.options?.noPassword === true;
    if (!noPassword) request.hashedPassword = await server.auth.hashPassword(request.password);
    request.password = '';
  };
  return {
    authEnable: viaRaft('authEnable'),
    authDisable: viaRaft('authDisable'),
    authStatus: viaRaft('authStatus'),
    authenticate: unary(probe, (request) => {
      const { name, password } = request as AuthenticateRequest;
      return server.authenticate(name, password);
    }),
    userAdd: viaRaft('authUserAdd', hashPassword),
    userGet: viaRaft('authUserGet'),
    userList: viaRaft('authUserList'),
    userDelete: viaRaft('authUserDelete'),
    userChangePassword: viaRaft('authUserChangePassword', hashPassword),
    userGrantRole: viaRaft('authUserGrantRole'),
    userRevokeRole: viaRaft('authUserRevokeRole'),
    roleAdd: viaRaft('authRoleAdd'),
    roleGet: viaRaft('authRoleGet'),
    roleList: viaRaft('authRoleList'),
    roleDelete: viaRaft('authRoleDelete'),
    roleGrantPermission: viaRaft('authRoleGrantPermission'),
    roleRevokePermission: viaRaft('authRoleRevokePermission'),
  };
}
