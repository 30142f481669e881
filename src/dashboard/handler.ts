/**
 * HTTP routes of the dashboard, served on the client port and on --listen-metrics-urls:
 * - `GET /dashboard`, `GET /dashboard/`: the page (DASHBOARD_HTML) with its strict CSP.
 * - `GET /dashboard/api/status`: this member's DashboardStatus as JSON.
 * Other methods answer 405; every answer is `Cache-Control: no-store`.
 */
import type { EtcdServer } from '../server/etcd-server.js';
import { collectInputs } from './collect.js';
import { dashboardHooks } from './hooks.js';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './page.js';
import { buildStatus } from './status.js';

/** The request and response shapes of src/api's HTTP endpoints (node:http and HTTP/2 exchanges). */
export interface DashboardRequest { url?: string | undefined; method?: string | undefined }
export interface DashboardResponse {
  writeHead(status: number, headers?: Record<string, string>): unknown;
  end(body?: string): unknown;
}

export const DASHBOARD_PATHS = ['/dashboard', '/dashboard/'] as const;
export const DASHBOARD_STATUS_PATH = '/dashboard/api/status';

const COMMON_HEADERS = {
  'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * Serves `pathname` if it is a dashboard route and returns true; false for any other path.
 * Never throws: a status that cannot be read answers 503 with `{"error": ...}`.
 */
export function serveDashboard(server: EtcdServer, pathname: string, request: DashboardRequest,
  response: DashboardResponse): boolean {
  const page = (DASHBOARD_PATHS as readonly string[]).includes(pathname);
  if (!page && pathname !== DASHBOARD_STATUS_PATH) return false;
  if (dashboardHooks(server).enabled === false) return false;
  if (request.method !== 'GET') {
    response.writeHead(405, { ...COMMON_HEADERS, allow: 'GET', 'content-type': 'text/plain; charset=utf-8' });
    response.end('Method Not Allowed\n');
    return true;
  }
  if (page) {
    response.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'text/html; charset=utf-8',
      'content-security-policy': DASHBOARD_CSP });
    response.end(DASHBOARD_HTML);
    return true;
  }
  const json = { ...COMMON_HEADERS, 'content-type': 'application/json' };
  collectInputs(server, Date.now()).then(buildStatus).then((status) => {
    response.writeHead(200, json);
    response.end(JSON.stringify(status));
  }, (error: unknown) => {
    response.writeHead(503, json);
    response.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
  });
  return true;
}
