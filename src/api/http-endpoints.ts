/**
 * Plain HTTP endpoints on the client port (etcd's etcdhttp): `/health` (with `?exclude=` and
 * `?serializable=`), `/version`. Anything else is 404 (the JSON gateway and /metrics arrive with issue 9).
 */
import { ETCD_CLUSTER_VERSION, ETCD_SERVER_VERSION } from '../base/version.js';
import { RangeRequest } from '../proto/gen/etcdserverpb.js';
import { alarmName } from '../server/alarms.js';
import type { EtcdServer } from '../server/etcd-server.js';
import type { HttpHandler, HttpResponseLike } from './h2/client-listener.js';

const HEALTH_RANGE_TIMEOUT_MS = 5000;

export function httpEndpoints(server: EtcdServer): HttpHandler {
  return (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/version' && request.method === 'GET') {
      reply(response, 200, { etcdserver: ETCD_SERVER_VERSION, etcdcluster: ETCD_CLUSTER_VERSION });
      return;
    }
    if (url.pathname === '/health' && request.method === 'GET') {
      void checkHealth(server, url).then(({ ok, reason }) =>
        reply(response, ok ? 200 : 503, { health: ok ? 'true' : 'false', reason }));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('404 page not found\n');
  };
}

async function checkHealth(server: EtcdServer, url: URL): Promise<{ ok: boolean; reason: string }> {
  const excluded = new Set(url.searchParams.getAll('exclude'));
  for (const alarm of server.alarms.list()) {
    const name = alarmName(alarm.alarm);
    if (!excluded.has(name)) return { ok: false, reason: `ALARM ${name}` };
  }
  const serializable = url.searchParams.get('serializable') === 'true';
  if (!serializable && server.leaderId() === 0n) return { ok: false, reason: 'RAFT NO LEADER' };
  try {
    const range = server.range(RangeRequest.create({ key: new TextEncoder().encode('health'), serializable, keysOnly: true, limit: 1 }));
    await withTimeout(range, HEALTH_RANGE_TIMEOUT_MS);
    return { ok: true, reason: '' };
  } catch (error) {
    return { ok: false, reason: `RANGE ERROR:${error instanceof Error ? error.message : String(error)}` };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('context deadline exceeded')), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e); });
  });
}

function reply(response: HttpResponseLike, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
