/** etcd v3 client (see README.md and docs/client.md). */
export { EtcdClient, DIAL_TIMEOUT_MS_DEFAULT, KEEPALIVE_TIME_MS_MIN } from './client.js';
export type { EtcdClientOptions } from './client.js';
export { EtcdClientError, toClientError } from './errors.js';
export { CONNS_MAX } from './channel-pool.js';
export type { TlsOptions } from './channel-pool.js';
export { parseEndpoint, parseEndpointList } from './endpoints.js';
export type { Endpoint } from './endpoints.js';
export type { BidiStream, ServerStream } from './streams.js';
export * as pb from '../proto/gen/etcdserverpb.js';
export * as authpb from '../proto/gen/authpb.js';
export * as mvccpb from '../proto/gen/mvccpb.js';
export * as lockpb from '../proto/gen/v3lockpb.js';
export * as electionpb from '../proto/gen/v3electionpb.js';
