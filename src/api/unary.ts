/**
 * Adapts an async request handler to a grpc-js unary handler: results are sent, errors are mapped
 * with toServiceError, and the `hasleader` metadata (clientv3's WithRequireLeader) is honoured.
 */
import type * as grpc from '@grpc/grpc-js';
import { etcdError } from '../base/errors.js';
import { toServiceError } from './grpc-errors.js';

export interface LeaderProbe {
  hasLeader(): boolean;
  /** Learners serve only Status, MemberList and serializable Range (etcd's learner interceptor). */
  isLearner(): boolean;
}

/** Marks a handler a learner may serve (otherwise a learner answers "rpc not supported for learner"). */
export type LearnerPolicy = 'learner-ok' | 'voters-only' | ((request: unknown) => boolean);

export function unary<Req, Res>(
  probe: LeaderProbe, handler: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res> | Res,
  learner: LearnerPolicy = 'voters-only',
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    if (learner !== 'learner-ok' && probe.isLearner() && (learner === 'voters-only' || !learner(call.request))) {
      callback(toServiceError(etcdError('ERR_LEARNER_NOT_SUPPORTED')));
      return;
    }
    if (requiresLeader(call.metadata) && !probe.hasLeader()) {
      callback(toServiceError(etcdError('ERR_NO_LEADER')));
      return;
    }
    let pending: Promise<Res>;
    try {
      pending = Promise.resolve(handler(call.request, call));
    } catch (error) {
      callback(toServiceError(error));
      return;
    }
    pending.then((response) => callback(null, response), (error: unknown) => callback(toServiceError(error)));
  };
}

export function requiresLeader(metadata: grpc.Metadata): boolean {
  return metadata.get('hasleader')[0] === 'true';
}
