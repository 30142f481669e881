/** etcd v3 client (see README.md). */
export { EtcdClient, DIAL_TIMEOUT_MS_DEFAULT } from './client.js';
export type { EtcdClientOptions } from './client.js';
export { EtcdClientError, toClientError } from './errors.js';
export { CONNS_MAX } from './channel-pool.js';
export type { TlsOptions } from './channel-pool.js';
export { parseEndpoint, parseEndpointList } from './endpoints.js';
export type { Endpoint } from './endpoints.js';
export * as pb from '../proto/gen/etcdserverpb.js';
