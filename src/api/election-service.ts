/**
 * The v3electionpb.Election service, implemented on the server's own KV API (etcd's election recipe
 * run server-side). Campaign creates `name/<lease hex>` = value (bound to the lease), or re-proclaims an
 * existing one, and waits until every older candidate is gone; Proclaim/Resign act only while the
 * leader key still has its create revision; Leader returns the oldest key under `name/`; Observe
 * streams the leader each time it changes. Campaign waits for the delete of the candidate just ahead
 * (lock-wait.ts) and Observe re-reads the leader only when an applied event touches `name/`: no polling.
 */
import type * as grpc from '@grpc/grpc-js';
import { etcdError } from '../base/errors.js';
import {
  Compare, Compare_CompareResult, Compare_CompareTarget, DeleteRangeRequest, PutRequest, RequestOp, TxnRequest,
} from '../proto/gen/etcdserverpb.js';
import type { KeyValue } from '../proto/gen/mvccpb.js';
import {
  CampaignResponse, LeaderKey, LeaderResponse, ProclaimResponse, ResignResponse,
  type CampaignRequest, type LeaderRequest, type ProclaimRequest, type ResignRequest,
} from '../proto/gen/v3electionpb.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { toServiceError } from './grpc-errors.js';
import { asUnknown, concat, createIfAbsent, firstCreated, ownKey } from './lock-service.js';
import { AppliedEvents, callSignal, startsWith, waitForPredecessorsDeleted } from './lock-wait.js';
import { unary, type LeaderProbe } from './unary.js';
import { serverForCall } from './auth-context.js';

const SLASH = new TextEncoder().encode('/');

/** Raised as etcd's concurrency package does (plain errors: gRPC Unknown with this message). */
const NOT_LEADER = 'election: not leader';
const NO_LEADER = 'election: no leader';
const MISSING_LEADER_KEY = '"leader" field must be provided';

type ObserveCall = grpc.ServerWritableStream<LeaderRequest, LeaderResponse>;

/** Handlers for grpc-js `addService(ElectionService, ...)`. Throws nothing. */
export function electionHandlers(server: EtcdServer, probe: LeaderProbe): grpc.UntypedServiceImplementation {
  return {
    campaign: unary(probe, async (request, call) =>
      campaign(await serverForCall(server, call as never), server, request as CampaignRequest, callSignal(call))
        .catch(asUnknown)),
    proclaim: unary(probe, async (request, call) => {
      const scoped = await serverForCall(server, call as never);
      const { leader, value } = request as ProclaimRequest;
      if (leader === undefined) throw new Error(MISSING_LEADER_KEY);
      const put = RequestOp.create({ requestPut: PutRequest.create({ key: leader.key, value, ignoreLease: true }) });
      const response = await scoped.txn(TxnRequest.create({ compare: [isLeader(leader)], success: [put] }))
        .catch(asUnknown);
      if (!response.succeeded) throw new Error(NOT_LEADER);
      return ProclaimResponse.create({ header: response.header });
    }),
    leader: unary(probe, async (request, call) => {
      const scoped = await serverForCall(server, call as never);
      const kv = await firstCreated(scoped, concat((request as LeaderRequest).name, SLASH));
      if (kv === undefined) throw new Error(NO_LEADER);
      return LeaderResponse.create({ header: server.header(), kv });
    }),
    observe: (call: ObserveCall) => {
      serverForCall(server, call as never).then((scoped) => observe(scoped, server, call),
        (error: unknown) => call.emit('error', toServiceError(error)));
    },
    resign: unary(probe, async (request, call) => {
      const scoped = await serverForCall(server, call as never);
      const { leader } = request as ResignRequest;
      if (leader === undefined) throw new Error(MISSING_LEADER_KEY);
      const del = RequestOp.create({ requestDeleteRange: DeleteRangeRequest.create({ key: leader.key }) });
      const response = await scoped.txn(TxnRequest.create({ compare: [isLeader(leader)], success: [del] }))
        .catch(asUnknown);
      return ResignResponse.create({ header: response.header });
    }),
  };
}

function isLeader(leader: LeaderKey): Compare {
  return Compare.create({
    result: Compare_CompareResult.EQUAL, target: Compare_CompareTarget.CREATE, key: leader.key,
    createRevision: leader.rev,
  });
}

async function campaign(server: EtcdServer, root: EtcdServer, request: CampaignRequest, signal: AbortSignal,
): Promise<CampaignResponse> {
  const prefix = concat(request.name, SLASH);
  const key = ownKey(request.name, request.lease);
  const { kv, created, header } = await createIfAbsent(server, key, request.value, request.lease);
  const leader = LeaderKey.create({ name: request.name, key, rev: kv.createRevision, lease: request.lease });
  if (!created && Buffer.compare(kv.value, request.value) !== 0) {
    const put = RequestOp.create({ requestPut: PutRequest.create({ key, value: request.value, ignoreLease: true }) });
    const proclaimed = await server.txn(TxnRequest.create({ compare: [isLeader(leader)], success: [put] }));
    if (!proclaimed.succeeded) throw new Error(NOT_LEADER);
  }
  try {
    const target = { prefix, ownKey: key, ownCreateRevision: kv.createRevision };
    await waitForPredecessorsDeleted(server, root, target, signal, 'election: session expired');
  } catch (error) {
    await server.deleteRange(DeleteRangeRequest.create({ key })).catch(() => undefined);
    throw error;
  }
  return CampaignResponse.create({ header: header ?? server.header(), leader });
}

/**
 * Sends the current leader, then every change of it (a new leader key, or a proclaim that changed its
 * value), until the call ends. Reads again only when an applied event touched `name/` (or the store
 * jumped to a snapshot); reads never overlap.
 */
function observe(server: EtcdServer, root: EtcdServer, call: ObserveCall): void {
  const prefix = concat(call.request.name, SLASH);
  let last: KeyValue | undefined;
  let reading = false;
  let dirty = true;
  const check = async (): Promise<void> => {
    if (reading) return;
    reading = true;
    try {
      while (dirty && !call.cancelled && !call.destroyed) {
        dirty = false;
        const kv = await firstCreated(server, prefix);
        const changed = kv !== undefined && (last === undefined || Buffer.compare(kv.key, last.key) !== 0 ||
          kv.modRevision !== last.modRevision);
        if (changed) {
          call.write(LeaderResponse.create({ header: server.header(), kv }));
          last = kv;
        }
      }
    } finally {
      reading = false;
    }
  };
  const fail = (error: unknown): void => {
    stop();
    call.emit('error', toServiceError(error instanceof Error ? error : etcdError('ERR_CANCELED')));
  };
  const stop = AppliedEvents.of(root).subscribe((events, _revision, gap) => {
    if (!gap && !events.some((event) => event.kv !== undefined && startsWith(event.kv.key, prefix))) return;
    dirty = true;
    check().catch(fail);
  });
  call.once('cancelled', stop);
  call.once('close', stop);
  if (call.cancelled || call.destroyed) stop();
  else check().catch(fail);
}
