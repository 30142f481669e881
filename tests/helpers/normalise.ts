/**
 * Makes etcdctl output from two different servers comparable. Only values that legitimately differ
 * between two healthy servers are replaced; everything else is kept byte-exact:
 *  - cluster_id / member_id / raft_term in `-w json` and ClusterID / MemberID / RaftTerm in `-w fields`;
 *  - durations after "took" (e.g. `took = 1.2ms`, `"took":"3ms"`);
 *  - in etcdctl's zap warnings on stderr: the `"ts"` timestamp and the random client id in
 *    `endpoint://client-<uuid>/`;
 *  - each server's own endpoint / URLs (passed in `endpoints`) by `<endpoint>`.
 */

export interface NormaliseOptions {
  /** Strings naming this server (e.g. `127.0.0.1:2379`), each replaced by `<endpoint>`. */
  endpoints?: readonly string[];
}

const JSON_ID_FIELDS = /"(cluster_id|member_id|raft_term)":\d+/g;
const FIELDS_ID_FIELDS = /"(ClusterID|MemberID|RaftTerm)" : \d+/g;
const GO_DURATION = '(?:\\d+(?:\\.\\d+)?(?:ns|µs|us|ms|s|m|h))+';
const TOOK_DURATION = new RegExp(`(took(?: = |": ?"|: | ))${GO_DURATION}`, 'g');
const ZAP_TS = /"ts":"[^"]*"/g;
const CLIENT_ID = /endpoint:\/\/client-[0-9a-f-]+\//g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Returns `text` with the server-specific values listed above replaced by placeholders. */
export function normaliseOutput(text: string, options: NormaliseOptions = {}): string {
  let out = text
    .replace(JSON_ID_FIELDS, (_m, field: string) => `"${field}":<${field}>`)
    .replace(FIELDS_ID_FIELDS, (_m, field: string) => `"${field}" : <${field}>`)
    .replace(TOOK_DURATION, (_m, prefix: string) => `${prefix}<duration>`)
    .replace(ZAP_TS, '"ts":"<ts>"')
    .replace(CLIENT_ID, 'endpoint://client-<id>/');
  const endpoints = [...(options.endpoints ?? [])].sort((a, b) => b.length - a.length);
  for (const endpoint of endpoints) {
    if (endpoint.length === 0) continue;
    out = out.replace(new RegExp(escapeRegExp(endpoint), 'g'), '<endpoint>');
  }
  return out;
}
