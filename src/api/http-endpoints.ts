/**
 * Plain HTTP endpoints (etcd's etcdhttp) on the client port and on --listen-metrics-urls:
 * - `/health` (`?exclude=ALARM`, `?serializable=true`): `{"health","reason"}` with etcd 3.5's reasons
 *   ("ALARM NOSPACE", "RAFT NO LEADER", "RANGE ERROR:..."), 503 when unhealthy.
 * - `/livez`, `/readyz` and their sub-checks (`/readyz/linearizable_read`), `?verbose`, `?exclude=<check>`:
 *   etcd 3.5's text answers ("ok"-style lines, 503 with the failed checks).
 * - `/metrics`: this member's Prometheus registry. `/version`.
 * - `/dashboard`, `/dashboard/api/status`: the read-only web dashboard (src/dashboard, docs/dashboard.md).
 * - `/v3/...`: the JSON gateway (client port only; src/api/gateway).
 */
import { ETCD_CLUSTER_VERSION, ETCD_SERVER_VERSION } from '../base/version.js';
import { RangeRequest } from '../proto/gen/etcdserverpb.js';
import { AlarmType } from '../proto/gen/etcdserverpb.js';
import { alarmName } from '../server/alarms.js';
import { serveDashboard } from '../dashboard/handler.js';
import type { EtcdServer } from '../server/etcd-server.js';
import type { HttpHandler, HttpRequestLike, HttpResponseLike } from './h2/client-listener.js';

const TEXT = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' };
/** etcd's `/livez` and `/readyz` checks, in the order they are reported. */
const LIVEZ_CHECKS = ['serializable_read'] as const;
const READYZ_CHECKS = ['data_corruption', 'serializable_read', 'linearizable_read'] as const;
type CheckName = (typeof READYZ_CHECKS)[number];

/** A handler that serves the request and returns true, or returns false if the path is not its own. */
export type SubHandler = (request: HttpRequestLike, response: HttpResponseLike) => boolean;

/** The client port's HTTP handler; `gateway` serves `/v3/...` (404 without it). */
export function httpEndpoints(server: EtcdServer, gateway?: SubHandler): HttpHandler {
  return (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/version' && request.method === 'GET') {
      reply(response, 200, { etcdserver: ETCD_SERVER_VERSION, etcdcluster: ETCD_CLUSTER_VERSION });
      return;
    }
    if (serveDashboard(server, url.pathname, request, response)) return;
    if (serveProbes(server, url, request, response)) return;
    if (gateway !== undefined && gateway(request, response)) return;
    notFound(response);
  };
}

/** The --listen-metrics-urls handler: /metrics, /health, /livez, /readyz and /dashboard only. */
export function metricsHttpEndpoints(server: EtcdServer): HttpHandler {
  return (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (serveDashboard(server, url.pathname, request, response)) return;
    if (!serveProbes(server, url, request, response)) notFound(response);
  };
}

function serveProbes(server: EtcdServer, url: URL, request: HttpRequestLike, response: HttpResponseLike): boolean {
  const path = url.pathname;
  if (path === '/metrics') {
    void server.metrics.render().then((text) => {
      response.writeHead(200, { 'content-type': server.metrics.contentType });
      response.end(text);
    }, (error: unknown) => {
      response.writeHead(500, TEXT);
      response.end(`An error has occurred while serving metrics:\n\n${String(error)}\n`);
    });
    return true;
  }
  const probe = path === '/health' ? 'health' : probeOf(path);
  if (probe === undefined) return false;
  if (request.method !== 'GET') {
    response.writeHead(405, { ...TEXT, allow: 'GET' });
    response.end('Method Not Allowed\n');
    return true;
  }
  if (probe === 'health') {
    void checkHealth(server, url).then(({ ok, reason }) => {
      server.metrics.healthChecked(ok);
      // etcd writes the failure with http.Error: text/plain and a trailing newline.
      const body = JSON.stringify({ health: ok ? 'true' : 'false', reason });
      response.writeHead(ok ? 200 : 503, TEXT);
      response.end(ok ? body : `${body}\n`);
    });
    return true;
  }
  void runChecks(server, probe.checks, url).then((result) => {
    response.writeHead(result.status, TEXT);
    response.end(result.body(probe.path, url.searchParams.has('verbose')));
  });
  return true;
}

interface Probe { path: string; checks: readonly CheckName[] }

/** `/livez`, `/readyz` or one of their sub-check paths. */
function probeOf(path: string): Probe | undefined {
  for (const [root, checks] of [['/livez', LIVEZ_CHECKS], ['/readyz', READYZ_CHECKS]] as const) {
    if (path === root) return { path: root, checks };
    const sub = checks.find((check) => path === `${root}/${check}`);
    if (sub !== undefined) return { path, checks: [sub] };
  }
  return undefined;
}

interface ChecksResult { status: number; body(path: string, verbose: boolean): string }

async function runChecks(server: EtcdServer, checks: readonly CheckName[], url: URL): Promise<ChecksResult> {
  const excluded = new Set(url.searchParams.getAll('exclude').filter((name) => name !== ''));
  let report = '';
  let failed = false;
  for (const check of checks) {
    if (excluded.delete(check)) continue;
    const error = await runCheck(server, check);
    failed ||= error !== undefined;
    report += error === undefined ? `[+]${check} ok\n` : `[-]${check} failed: ${error}\n`;
  }
  return {
    status: failed ? 503 : 200,
    // etcd: failures always list the checks; success lists them only with ?verbose.
    body: (path, verbose) => (failed ? `${report}${path} check failed\n`
      : `${verbose ? report : ''}${path} check passed\n`),
  };
}

async function runCheck(server: EtcdServer, check: CheckName): Promise<string | undefined> {
  if (check === 'data_corruption') {
    const corrupt = server.alarms.list().some((a) => a.alarm === AlarmType.CORRUPT);
    return corrupt ? 'alarm activated: CORRUPT' : undefined;
  }
  try {
    await withTimeout(server.range(RangeRequest.create({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]),
      keysOnly: true, limit: 1, serializable: check === 'serializable_read' })), server.requestTimeoutMs);
    return undefined;
  } catch (error) {
    return `range error: ${error instanceof Error ? error.message : String(error)}`;
  }
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
    const range = server.range(RangeRequest.create({ key: new TextEncoder().encode('health'), serializable,
      keysOnly: true, limit: 1 }));
    await withTimeout(range, server.requestTimeoutMs);
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

function notFound(response: HttpResponseLike): void {
  response.writeHead(404, TEXT);
  response.end('404 page not found\n');
}

function reply(response: HttpResponseLike, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
