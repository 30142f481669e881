/** The etcdserverpb.KV service: Range, Put, DeleteRange, Txn, Compact. */
import type * as grpc from '@grpc/grpc-js';
import type { EtcdServer } from '../server/etcd-server.js';
import { unary, type LeaderProbe } from './unary.js';

export function kvHandlers(server: EtcdServer, probe: LeaderProbe): grpc.UntypedServiceImplementation {
  return {
    range: unary(probe, (request) => server.range(request as never),
      (r) => (r as { serializable: boolean }).serializable),
    put: unary(probe, (request) => server.put(request as never)),
    deleteRange: unary(probe, (request) => server.deleteRange(request as never)),
    txn: unary(probe, (request) => server.txn(request as never)),
    compact: unary(probe, (request) => server.compact(request as never)),
  };
}
