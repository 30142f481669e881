/**
 * The etcdserverpb.Maintenance service: Status, Hash, HashKV, Defragment, Alarm, MoveLeader and Snapshot
 * (a bbolt-format image with a sha256 trailer, streamed in chunks); Downgrade answers Unimplemented.
 */
import type * as grpc from '@grpc/grpc-js';
import {
  DefragmentResponse, HashKVResponse, HashResponse, MoveLeaderResponse,
  SnapshotResponse, StatusResponse, AlarmRequest_AlarmAction, type AlarmRequest, type HashKVRequest,
  type MoveLeaderRequest,
} from '../proto/gen/etcdserverpb.js';
import { ETCD_SERVER_VERSION } from '../base/version.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { requiresLeader, unary, type LeaderProbe } from './unary.js';
import { etcdError, isEtcdError } from '../base/errors.js';
import type { SnapshotChunk } from '../server/snapshot-stream.js';
import { toServiceError } from './grpc-errors.js';
import { authInfoFromCall, type CallLike } from './auth-context.js';

export function maintenanceHandlers(server: EtcdServer, probe: LeaderProbe): grpc.UntypedServiceImplementation {
  /**
   * Hash, HashKV, Defragment, MoveLeader and Snapshot need the root role when auth is enabled; etcd 3.4
   * answers with the auth store's own errors (Unknown, `auth: ...`), see maintenanceAuthError.
   */
  const requireAdmin = async (call: unknown): Promise<void> => {
    try {
      server.auth.checkAdmin(await authInfoFromCall(server, call as CallLike));
    } catch (error) {
      throw maintenanceAuthError(error);
    }
  };
  return {
    status: unary(probe, () => StatusResponse.create({
      header: server.header(), version: ETCD_SERVER_VERSION, dbSize: server.backendSizeBytes(),
      leader: server.leaderId(), raftIndex: server.raftIndex(), raftTerm: server.raftTerm(),
      raftAppliedIndex: server.appliedIndex(), dbSizeInUse: server.backendSizeInUseBytes(),
      isLearner: server.isLearner(),
      errors: server.alarms.statusErrors(), dbSizeQuota: server.quotaBytes(),
    }), 'learner-ok'),
    hash: unary(probe, async (_request, call) => {
      await requireAdmin(call);
      const started = performance.now();
      const hash = server.store.hash();
      server.metrics.hashMs(performance.now() - started, false);
      return HashResponse.create({ header: server.header(), hash });
    }),
    hashKV: unary(probe, async (request, call) => {
      await requireAdmin(call);
      const { revision } = request as HashKVRequest;
      const started = performance.now();
      const result = server.store.hashByRevision(revision);
      server.metrics.hashMs(performance.now() - started, true);
      return HashKVResponse.create({
        header: server.header(), hash: result.hash, compactRevision: result.compactRevision,
        hashRevision: result.revision,
      });
    }),
    defragment: unary(probe, async (_request, call) => {
      await requireAdmin(call);
      await server.defragment();
      return DefragmentResponse.create({ header: server.header() });
    }),
    moveLeader: unary(probe, async (request, call) => {
      await requireAdmin(call);
      await server.moveLeader((request as MoveLeaderRequest).targetID);
      return MoveLeaderResponse.create({ header: server.header() });
    }),
    alarm: unary(probe, async (request, call) => {
      // etcd 3.4 lets any user list alarms; raising or disarming one needs the root role here.
      if ((request as AlarmRequest).action !== AlarmRequest_AlarmAction.GET) await requireAdmin(call);
      return server.alarm(request as AlarmRequest);
    }),
    snapshot: (call: grpc.ServerWritableStream<unknown, SnapshotResponse>) => {
      requireAdmin(call).then(() => serveSnapshot(server, probe, call),
        (error: unknown) => call.emit('error', toServiceError(error)));
    },
  };
}

/** Maintenance.Snapshot: the backend as a bbolt file plus sha256 trailer, streamed in blob chunks (snapshot-stream.ts). */
function serveSnapshot(server: EtcdServer, probe: LeaderProbe,
  call: grpc.ServerWritableStream<unknown, SnapshotResponse>): void {
  const fail = (error: unknown): void => { call.emit('error', toServiceError(error)); };
  if (probe.isLearner()) return fail(etcdError('ERR_LEARNER_NOT_SUPPORTED'));
  if (requiresLeader(call.metadata) && !probe.hasLeader()) return fail(etcdError('ERR_NO_LEADER'));
  const writer = {
    get cancelled() { return call.cancelled; },
    write: (chunk: SnapshotChunk) => call.write(SnapshotResponse.create(chunk)),
    end: () => { call.end(); },
    once: (event: 'drain' | 'close', listener: () => void) => call.once(event, listener),
  };
  server.sendSnapshot(writer).catch(fail);
}

/** The `auth:`-worded error etcd 3.4's Maintenance service returns for a failed admin check. */
function maintenanceAuthError(error: unknown): unknown {
  if (isEtcdError(error, 'ERR_PERMISSION_DENIED')) return etcdError('ERR_MAINTENANCE_PERMISSION_DENIED');
  if (isEtcdError(error, 'ERR_USER_EMPTY')) return etcdError('ERR_MAINTENANCE_USER_EMPTY');
  if (isEtcdError(error, 'ERR_USER_NOT_FOUND')) return etcdError('ERR_MAINTENANCE_USER_NOT_FOUND');
  if (isEtcdError(error, 'ERR_INVALID_AUTH_TOKEN')) return etcdError('ERR_MAINTENANCE_INVALID_AUTH_TOKEN');
  return error;
}
