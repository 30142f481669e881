/**
 * The dashboard page: one self-contained HTML document (inline CSS and script, no external resources)
 * and the Content-Security-Policy that allows exactly its own style block and script by sha256 hash.
 * Built once at module load; the page fetches its data from /dashboard/api/status.
 */
import { sha256 } from '../platform/hash.js';
import { PAGE_SCRIPT, SPARK_SAMPLES } from './page-script.js';

const PAGE_STYLE = `
:root { color-scheme: light; --fg: #1d2733; --muted: #5d6b7a; --line: #d5dbe2; --card: #fff; --bg: #f3f5f8;
  --accent: #2f6fb3; --bad: #c62828; --good: #2e7d32; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: baseline; padding: 12px 20px;
  background: #1d2733; color: #fff; }
header h1 { font-size: 18px; margin: 0 12px 0 0; }
header .field { color: #c9d3de; }
header .field b { color: #fff; font-weight: 600; }
main { padding: 16px 20px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.card h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 6px; }
.big { font-size: 22px; font-weight: 600; }
.row { display: flex; justify-content: space-between; gap: 8px; }
.row span:first-child { color: var(--muted); }
.spark { display: block; margin-top: 6px; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.health { font-weight: 600; padding: 2px 8px; border-radius: 4px; }
.health.healthy { background: var(--good); }
.health.unhealthy { background: var(--bad); }
#db-bar { margin: 4px 0; }
.alarm { display: inline-block; color: #fff; background: var(--bad); font-weight: 700; padding: 2px 8px;
  border-radius: 4px; margin: 0 6px 4px 0; }
.ok { color: var(--good); font-weight: 600; }
#error { color: var(--bad); font-weight: 600; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
tr.self td { background: #f0f6fc; }
.badge { display: inline-block; font-size: 11px; padding: 0 6px; margin-left: 6px; border-radius: 8px;
  background: #e3e7ec; color: var(--fg); }
.badge.leader { background: var(--accent); color: #fff; }
.reach-reachable { color: var(--good); }
.reach-unreachable { color: var(--bad); font-weight: 700; }
.reach-unknown { color: var(--muted); }
section { margin-top: 16px; }
section > h2 { font-size: 14px; margin: 0 0 8px; }
footer { padding: 8px 20px 20px; color: var(--muted); font-size: 12px; }
`;

/** A card with a big value, optional detail rows and an optional sparkline. */
function card(title: string, valueId: string, rows: Array<[string, string]> = [], spark?: string): string {
  const detail = rows.map(([label, id]) => `<div class="row"><span>${label}</span><span id="${id}">-</span></div>`);
  const chart = spark === undefined ? '' : `<div id="spark-${spark}"></div>`;
  return `<div class="card"><h2>${title}</h2><div class="big" id="${valueId}">-</div>${detail.join('')}${chart}</div>`;
}

function body(): string {
  const cards = [
    card('Revision', 'revision', [['compacted', 'compact-revision']], 'revision'),
    card('Keys', 'keys-total', [], 'keys'),
    `<div class="card"><h2>DB size vs quota</h2><div class="big" id="db-size">-</div><div id="db-bar"></div>
<div class="row"><span>in use</span><span id="db-in-use">-</span></div>
<div class="row"><span>quota</span><span id="db-quota">-</span></div>
<div class="row"><span>used</span><span id="db-used">-</span></div><div id="spark-db"></div></div>`,
    card('Raft', 'raft-term', [['index', 'raft-index'], ['applied', 'raft-applied']]),
    card('Proposals applied', 'apply-rate', [['committed', 'proposals-committed'], ['applied', 'proposals-applied'],
      ['pending', 'proposals-pending'], ['failed', 'proposals-failed']], 'apply'),
    card('Leader changes', 'leader-changes'),
    card('WAL fsync p99', 'wal-fsync-p99', [], 'fsync'),
    card('Backend commit p99', 'backend-commit-p99', [], 'commit'),
    card('RPC rate', 'rpc-rate', [['totals', 'rpc-total']], 'rpc'),
    card('Leases', 'leases'),
    card('Watchers', 'watchers', [['watch streams', 'watch-streams']]),
  ];
  return `<header><h1>tetcd</h1>
<span class="field">cluster <b id="cluster-id">-</b></span>
<span class="field">member <b id="member-name">-</b> <span id="member-id" class="mono">-</span></span>
<span class="field">role <b id="member-role">-</b></span>
<span class="field">leader <b id="leader-id" class="mono">-</b></span>
<span id="health" class="health">loading</span></header>
<main><div id="error"></div>
<section><h2>Alarms</h2><div id="alarms">-</div></section>
<section><div class="grid">${cards.join('\n')}</div></section>
<section><h2>Members</h2><table id="members"><thead><tr><th>name</th><th>id</th><th>hex</th><th>role</th>
<th>peer URLs</th><th>client URLs</th><th>transport</th></tr></thead><tbody id="members-body"></tbody></table></section>
</main>
<footer>Read-only view of this member, refreshed every 2 s; charts show the last ${SPARK_SAMPLES} samples.
Latency quantiles are since the member started. Last update: <span id="updated">never</span>.</footer>`;
}

function hashSource(text: string): string {
  return `'sha256-${Buffer.from(sha256(new TextEncoder().encode(text))).toString('base64')}'`;
}

/** The page's HTML (UTF-8). */
export const DASHBOARD_HTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>tetcd dashboard</title><link rel="icon" href="data:,"><style>${PAGE_STYLE}</style></head>
<body>${body()}<script>${PAGE_SCRIPT}</script></body></html>
`;

/**
 * The page's Content-Security-Policy: nothing but its own hashed style and script, fetches to its own
 * origin, no framing, no forms, no base URL changes.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'", `script-src ${hashSource(PAGE_SCRIPT)}`, `style-src ${hashSource(PAGE_STYLE)}`,
  "connect-src 'self'", "img-src 'self' data:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

/** Sources the CSP hashes (tests check the page embeds them unchanged). */
export const PAGE_INLINE_SOURCES = { script: PAGE_SCRIPT, style: PAGE_STYLE } as const;
