/**
 * The etcdserverpb.Maintenance service. Status, Hash, HashKV, Defragment and Alarm GET are served;
 * the rest answer Unimplemented until the maintenance work lands (docs/compatibility.md).
 */
import type * as grpc from '@grpc/grpc-js';
import {
  DefragmentResponse, HashKVResponse, HashResponse, MoveLeaderResponse,
  StatusResponse, type AlarmRequest, type HashKVRequest, type MoveLeaderRequest,
} from '../proto/gen/etcdserverpb.js';
import { ETCD_SERVER_VERSION } from '../base/version.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { unary, type LeaderProbe } from './unary.js';

export function maintenanceHandlers(server: EtcdServer, probe: LeaderProbe): grpc.UntypedServiceImplementation {
  return {
    status: unary(probe, () => StatusResponse.create({
      header: server.header(), version: ETCD_SERVER_VERSION, dbSize: server.backendSizeBytes(),
      leader: server.leaderId(), raftIndex: server.raftIndex(), raftTerm: server.raftTerm(),
      raftAppliedIndex: server.appliedIndex(), dbSizeInUse: server.backendSizeInUseBytes(),
      isLearner: server.isLearner(),
      errors: server.alarms.statusErrors(), dbSizeQuota: server.quotaBytes(),
    }), 'learner-ok'),
    hash: unary(probe, () => HashResponse.create({ header: server.header(), hash: server.store.hash() })),
    hashKV: unary(probe, (request) => {
      const { revision } = request as HashKVRequest;
      const result = server.store.hashByRevision(revision);
      return HashKVResponse.create({
        header: server.header(), hash: result.hash, compactRevision: result.compactRevision,
        hashRevision: result.revision,
      });
    }),
    defragment: unary(probe, async () => {
      await server.defragment();
      return DefragmentResponse.create({ header: server.header() });
    }),
    moveLeader: unary(probe, async (request) => {
      await server.moveLeader((request as MoveLeaderRequest).targetID);
      return MoveLeaderResponse.create({ header: server.header() });
    }),
    alarm: unary(probe, (request) => server.alarm(request as AlarmRequest)),
  };
}
