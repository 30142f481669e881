/**
 * The etcdserverpb.Lease service: LeaseGrant, LeaseRevoke, LeaseTimeToLive, LeaseLeases (unary) and the
 * LeaseKeepAlive bidi stream (each request renews one lease on the leader and is answered with
 * {ID, TTL}; TTL 0 for an unknown or expired lease; any other error ends the stream).
 */
import type * as grpc from '@grpc/grpc-js';
import { etcdError, isEtcdError } from '../base/errors.js';
import {
  LeaseKeepAliveResponse, type LeaseGrantRequest, type LeaseKeepAliveRequest, type LeaseRevokeRequest,
  type LeaseTimeToLiveRequest,
} from '../proto/gen/etcdserverpb.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { toServiceError } from './grpc-errors.js';
import { requiresLeader, unary, type LeaderProbe } from './unary.js';
import { authInfoFromCall, type CallLike } from './auth-context.js';

/** Keepalive requests of one stream being served at once; more are refused (bounded memory). */
export const KEEPALIVES_IN_FLIGHT_MAX = 1024;

type KeepAliveCall = grpc.ServerDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>;

/** Handlers for grpc-js `addService(LeaseService, ...)`. Throws nothing. */
export function leaseHandlers(server: EtcdServer, probe: LeaderProbe): grpc.UntypedServiceImplementation {
  return {
    leaseGrant: unary(probe, (request) => server.leaseGrant(request as LeaseGrantRequest)),
    leaseRevoke: unary(probe, async (request, call) => server.leaseRevoke((request as LeaseRevokeRequest).ID,
      await authInfoFromCall(server, call as unknown as CallLike))),
    leaseTimeToLive: unary(probe, async (request, call) => server.leaseTimeToLive(request as LeaseTimeToLiveRequest,
      await authInfoFromCall(server, call as unknown as CallLike))),
    leaseLeases: unary(probe, () => server.leaseLeases()),
    leaseKeepAlive: (call: KeepAliveCall) => serveKeepAlive(server, probe, call),
  };
}

function serveKeepAlive(server: EtcdServer, probe: LeaderProbe, call: KeepAliveCall): void {
  const fail = (error: unknown): void => {
    if (closed) return;
    closed = true;
    call.emit('error', toServiceError(error));
  };
  let closed = false;
  let inFlight = 0;
  if (probe.isLearner()) return fail(etcdError('ERR_LEARNER_NOT_SUPPORTED'));
  const requireLeader = requiresLeader(call.metadata);
  if (requireLeader && !probe.hasLeader()) return fail(etcdError('ERR_NO_LEADER'));
  const close = (): void => { closed = true; };
  call.on('error', close);
  call.on('cancelled', close);
  // A client that half-closes still gets the answers to what it sent (etcd answers each keepalive before
  // reading the next message, so every answer precedes the end of the stream).
  let ending = false;
  const endIfDrained = (): void => {
    if (ending && inFlight === 0 && !closed) {
      closed = true;
      call.end();
    }
  };
  call.on('end', () => {
    ending = true;
    endIfDrained();
  });
  call.on('data', (request: LeaseKeepAliveRequest) => {
    if (closed) return;
    if (inFlight >= KEEPALIVES_IN_FLIGHT_MAX) return fail(etcdError('ERR_TOO_MANY_REQUESTS'));
    inFlight++;
    server.leaseKeepAlive(request.ID).then(
      (TTL) => TTL,
      (error: unknown) => {
        if (isEtcdError(error, 'ERR_LEASE_NOT_FOUND')) return 0;
        throw error;
      },
    ).then((TTL) => {
      inFlight--;
      if (!closed) call.write(LeaseKeepAliveResponse.create({ header: server.header(), ID: request.ID, TTL }));
      endIfDrained();
    }, (error: unknown) => {
      inFlight--;
      fail(error);
    });
  });
}
