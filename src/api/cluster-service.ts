/** The etcdserverpb.Cluster service: MemberList (membership changes arrive with the clustered server). */
import type * as grpc from '@grpc/grpc-js';
import { Member, MemberListResponse } from '../proto/gen/etcdserverpb.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { unary, type LeaderProbe } from './unary.js';

export function clusterHandlers(server: EtcdServer, probe: LeaderProbe): grpc.UntypedServiceImplementation {
  return {
    memberList: unary(probe, () => MemberListResponse.create({
      header: server.header(),
      members: server.memberList().map((m) => Member.create({
        ID: m.id, name: m.name, peerURLs: m.peerUrls, clientURLs: m.clientUrls, isLearner: m.isLearner,
      })),
    })),
  };
}
