/**
 * The client's one wait for a connection when every endpoint refused (clientv3's WaitForReady): a request
 * to an endpoint that is not listening yet succeeds once a server starts listening there shortly after
 * the first attempt, instead of failing at once with Unavailable. The server is an in-process grpc-js KV
 * service (no etcd needed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { KVService } from '../proto/services.js';
import { RangeResponse, ResponseHeader } from '../proto/gen/etcdserverpb.js';
import { EtcdClient } from './index.js';

/** Starts listening this long after the request was sent (its first attempt has been refused by then). */
const LISTEN_AFTER_MS = 300;
/** Long enough for grpc-js's reconnect backoff (1 s, jittered) plus the start of the server. */
const DIAL_TIMEOUT_MS = 8_000;
const REVISION = 42;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function kvServer(): grpc.Server {
  const server = new grpc.Server();
  server.addService(KVService, {
    range: (_call: unknown, callback: grpc.sendUnaryData<RangeResponse>) =>
      callback(null, RangeResponse.create({ header: ResponseHeader.create({ revision: REVISION }) })),
  });
  return server;
}

test('a request waits once for an endpoint that starts listening shortly after the first attempt', async () => {
  const port = await freePort();
  const client = new EtcdClient({ endpoints: [`127.0.0.1:${port}`], dialTimeoutMs: DIAL_TIMEOUT_MS });
  const server = kvServer();
  try {
    const pending = client.range({ key: new TextEncoder().encode('k') });
    await new Promise((resolve) => setTimeout(resolve, LISTEN_AFTER_MS));
    await new Promise<void>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`,
      grpc.ServerCredentials.createInsecure(), (error) => (error === null ? resolve() : reject(error))));
    const response = await pending;
    assert.equal(response.header?.revision, REVISION);
  } finally {
    client.close();
    server.forceShutdown();
  }
});
