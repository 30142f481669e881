import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { LeaseKeepAliveResponse } from '../proto/gen/etcdserverpb.js';
import { LeaseKeepAliveRequest, ResponseHeader } from '../proto/gen/etcdserverpb.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { leaseHandlers } from './lease-service.js';

/** A keepalive stream as the handler sees it: requests in, responses and the end recorded. */
class FakeCall extends EventEmitter {
  readonly metadata = { get: (): string[] => [] };
  readonly written: LeaseKeepAliveResponse[] = [];
  ended = false;
  errored: unknown;
  write(response: LeaseKeepAliveResponse): boolean {
    assert.equal(this.ended, false, 'a response after the end of the stream');
    this.written.push(response);
    return true;
  }
  end(): void {
    this.ended = true;
  }
}

test('LeaseKeepAlive answers every request already sent when the client half-closes', async () => {
  const renewals: Array<() => void> = [];
  const server = {
    // Each renewal waits for the test (a leader round trip in a real member).
    leaseKeepAlive: () => new Promise<number>((resolve) => renewals.push(() => resolve(60))),
    header: () => ResponseHeader.create({ revision: 1 }),
  } as unknown as EtcdServer;
  const probe = { hasLeader: () => true, isLearner: () => false };
  const call = new FakeCall();
  call.on('error', (error: unknown) => { call.errored = error; });
  const handler = leaseHandlers(server, probe)['leaseKeepAlive'] as (c: unknown) => void;
  handler(call);
  for (const id of [1n, 2n, 3n]) call.emit('data', LeaseKeepAliveRequest.create({ ID: id }));
  call.emit('end'); // the client half-closes with three renewals in flight
  assert.equal(call.ended, false, 'the stream must stay open while answers are pending');
  for (const renew of renewals.splice(0)) renew();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(call.written.map((r) => [r.ID, r.TTL]), [[1n, 60], [2n, 60], [3n, 60]]);
  assert.equal(call.ended, true, 'the stream ends once every answer was sent');
  assert.equal(call.errored, undefined);
});
