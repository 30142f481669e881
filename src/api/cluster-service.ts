/** The etcdserverpb.Cluster service: MemberAdd/Remove/Update/List/Promote with etcd's errors. */
import type * as grpc from '@grpc/grpc-js';
import {
  Member, MemberAddResponse, MemberListResponse, MemberPromoteResponse, MemberRemoveResponse, MemberUpdateResponse,
  type MemberAddRequest, type MemberListRequest, type MemberPromoteRequest, type MemberRemoveRequest,
  type MemberUpdateRequest,
} from '../proto/gen/etcdserverpb.js';
import type { MemberInfo } from '../server/bootstrap.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { unary, type LeaderProbe } from './unary.js';
import { authInfoFromCall, type CallLike } from './auth-context.js';

function toMember(m: MemberInfo): Member {
  return Member.create({ ID: m.id, name: m.name, peerURLs: m.peerUrls, clientURLs: m.clientUrls,
    isLearner: m.isLearner });
}

export function clusterHandlers(server: EtcdServer, probe: LeaderProbe): grpc.UntypedServiceImplementation {
  const members = (): Member[] => server.memberList().map(toMember);
  /** Membership changes need the root role when auth is enabled (MemberList does not). */
  const requireAdmin = async (call: unknown): Promise<void> => {
    server.auth.checkAdmin(await authInfoFromCall(server, call as CallLike));
  };
  return {
    memberList: unary(probe, async (request) => {
      if ((request as MemberListRequest).linearizable) await server.linearizableRead();
      return MemberListResponse.create({ header: server.clusterHeader(), members: members() });
    }, 'learner-ok'),
    memberAdd: unary(probe, async (request, call) => {
      await requireAdmin(call);
      const { peerURLs, isLearner } = request as MemberAddRequest;
      const member = await server.cluster.memberAdd(peerURLs, isLearner);
      return MemberAddResponse.create({ header: server.clusterHeader(), member: toMember(member), members: members() });
    }),
    memberRemove: unary(probe, async (request, call) => {
      await requireAdmin(call);
      await server.cluster.memberRemove((request as MemberRemoveRequest).ID);
      return MemberRemoveResponse.create({ header: server.clusterHeader(), members: members() });
    }),
    memberUpdate: unary(probe, async (request, call) => {
      await requireAdmin(call);
      const { ID, peerURLs } = request as MemberUpdateRequest;
      await server.cluster.memberUpdate(ID, peerURLs);
      return MemberUpdateResponse.create({ header: server.clusterHeader(), members: members() });
    }),
    memberPromote: unary(probe, async (request, call) => {
      await requireAdmin(call);
      await server.promoteMember((request as MemberPromoteRequest).ID);
      return MemberPromoteResponse.create({ header: server.clusterHeader(), members: members() });
    }),
  };
}
