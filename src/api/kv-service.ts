/** The etcdserverpb.KV service: Range, Put, DeleteRange, Txn, Compact. */
import type * as grpc from '@grpc/grpc-js';
import type { EtcdServer } from '../server/etcd-server.js';
import { unary, type LeaderProbe } from './unary.js';
import { withCaller } from './auth-context.js';

export function kvHandlers(server: EtcdServer, probe: LeaderProbe): grpc.UntypedServiceImplementation {
  return {
    range: unary(probe, (request, call) => withCaller(server, call, (info) => server.range(request as never, info)),
      (r) => (r as { serializable: boolean }).serializable),
    put: unary(probe, (request, call) => withCaller(server, call, (info) => server.put(request as never, info))),
    deleteRange: unary(probe, (request, call) =>
      withCaller(server, call, (info) => server.deleteRange(request as never, info))),
    txn: unary(probe, (request, call) => withCaller(server, call, (info) => server.txn(request as never, info))),
    compact: unary(probe, (request, call) =>
      withCaller(server, call, (info) => server.compact(request as never, info))),
  };
}
