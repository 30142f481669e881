/**
 * The web dashboard in a real browser: Debian's headless chromium loads `/dashboard` from a tetcd
 * member, runs the page's script under its CSP (virtual time: several 2 s polls) and dumps the DOM.
 * Single member: the rendered page shows the member name, the revision and the db size the status
 * JSON reports; a screenshot is written for people to look at. Three members: a follower's page lists
 * all members, marks the leader, and shows every peer reachable. Fails (never skips) without chromium.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Cluster } from '../helpers/cluster.js';
import { allocatePort } from '../helpers/ports.js';
import { ServerProcess } from '../helpers/server.js';
import type { DashboardStatus } from '../../src/dashboard/status-types.js';

const CHROMIUM_BIN = process.env['CHROMIUM_BIN'] ?? '/usr/bin/chromium';
/** Virtual time the page gets: enough for the first fetch and two more polls. */
const VIRTUAL_TIME_BUDGET_MS = 5000;
const CHROMIUM_TIMEOUT_MS = 90_000;
const KEYS = 25;
/** The prober marks peers active within its 5 s period; allow a few periods on a loaded machine. */
const REACHABLE_TIMEOUT_MS = 30_000;

const profileDir = mkdtempSync(join(tmpdir(), 'tetcd-dashboard-chromium-'));
let single: ServerProcess | undefined;
let metricsUrl = '';

function requireChromium(): void {
  if (!existsSync(CHROMIUM_BIN)) {
    throw new Error(`${CHROMIUM_BIN} is missing: the dashboard e2e test needs Debian's chromium ` +
      '(apt-get install -y chromium) or CHROMIUM_BIN=/path/to/chromium');
  }
}

/**
 * Runs headless chromium on `url` with --dump-dom (and --screenshot=PATH when `screenshotPath` is given);
 * resolves the dumped DOM.
 */
function chromium(url: string, screenshotPath?: string): Promise<string> {
  requireChromium();
  const mode = ['--dump-dom', ...(screenshotPath === undefined ? [] : [`--screenshot=${screenshotPath}`])];
  const args = ['--headless=new', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profileDir}`,
    '--no-first-run', '--window-size=1280,1000', `--virtual-time-budget=${VIRTUAL_TIME_BUDGET_MS}`, ...mode, url];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM_BIN, args, { timeout: CHROMIUM_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`chromium ${mode.join(' ')} ${url} failed: ${error.message}\n${stderr.slice(-2000)}`));
        else resolve(stdout);
      });
  });
}

/** The data-value attribute of the element with `id` in a dumped DOM. */
function valueOf(dom: string, id: string): string | undefined {
  return new RegExp(`id="${id}"[^>]*data-value="([^"]*)"`).exec(dom)?.[1];
}

async function status(baseUrl: string): Promise<DashboardStatus> {
  const response = await fetch(`${baseUrl}/dashboard/api/status`);
  assert.equal(response.status, 200);
  return await response.json() as DashboardStatus;
}

before(async () => {
  requireChromium();
  metricsUrl = `http://127.0.0.1:${await allocatePort()}`;
  single = await ServerProcess.start({ kind: 'tetcd', name: 'dash-e2e', extraArgs: ['--listen-metrics-urls', metricsUrl] });
  for (let i = 0; i < KEYS; i++) {
    const body = { key: Buffer.from(`dash/${i}`).toString('base64'), value: Buffer.from(`value ${i}`).toString('base64') };
    const response = await fetch(`${single.clientUrl}/v3/kv/put`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal(response.status, 200);
  }
});

after(async () => {
  await single?.cleanup();
  rmSync(profileDir, { recursive: true, force: true });
});

test('single member: chromium renders the member name, revision and db size of the status JSON', async () => {
  const member = single!;
  const before = await status(member.clientUrl);
  assert.equal(before.store.revision, KEYS + 1);
  const screenshot = join(tmpdir(), `tetcd-dashboard-${process.pid}.png`);
  const dom = await chromium(`${member.clientUrl}/dashboard`, screenshot);
  assert.ok(statSync(screenshot).size > 20_000, `screenshot ${screenshot} has content`);
  console.log(`dashboard screenshot: ${screenshot}`);
  const after = await status(member.clientUrl);
  assert.match(dom, /<body[^>]*data-loaded="true"/, `the page rendered a status:\n${dom.slice(0, 3000)}`);
  assert.equal(valueOf(dom, 'member-name'), 'dash-e2e');
  assert.equal(valueOf(dom, 'revision'), String(KEYS + 1));
  assert.equal(valueOf(dom, 'keys-total'), String(KEYS));
  const dbSize = Number(valueOf(dom, 'db-size'));
  assert.ok([before.db.sizeBytes, after.db.sizeBytes].includes(dbSize), `db size ${dbSize} vs the status JSON`);
  assert.match(dom, /id="db-size"[^>]*>[\d.]+ (B|KiB|MiB)</);
  assert.match(dom, /data-member-name="dash-e2e"[\s\S]*?badge leader/);
  assert.match(dom, /id="health" class="health healthy">healthy</);
  assert.match(dom, /id="spark-revision"><svg[^>]*>.*<polyline/, 'a sparkline after two polls');
  assert.match(dom, /<div id="error"><\/div>/, 'no fetch error (CSP connect-src, JSON)');
});

test('single member: the page and the status on --listen-metrics-urls', async () => {
  const page = await fetch(`${metricsUrl}/dashboard`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>tetcd dashboard<\/title>/);
  const viaMetrics = await status(metricsUrl);
  assert.equal(viaMetrics.member.name, 'dash-e2e');
  assert.equal(viaMetrics.store.keysTotal, KEYS);
});

test('three members: a follower\'s page lists every member, marks the leader, all reachable', async () => {
  const cluster = await Cluster.start({ kind: 'tetcd', size: 3 });
  try {
    const leader = await cluster.leader();
    const follower = (await cluster.followers())[0]!;
    const deadline = Date.now() + REACHABLE_TIMEOUT_MS;
    let seen = await status(follower.clientUrl);
    while (!seen.members.every((m) => m.reachable === true) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      seen = await status(follower.clientUrl);
    }
    assert.deepEqual(seen.members.map((m) => m.reachable), [true, true, true], JSON.stringify(seen.members));
    const dom = await chromium(`${follower.clientUrl}/dashboard`);
    const rows = [...dom.matchAll(/<tr[^>]*data-member-name="([^"]+)"[^>]*>([\s\S]*?)<\/tr>/g)];
    assert.deepEqual(rows.map((r) => r[1]).sort(), ['m1', 'm2', 'm3'], dom.slice(0, 3000));
    const leaderRows = rows.filter((r) => r[2]!.includes('badge leader'));
    assert.deepEqual(leaderRows.map((r) => r[1]), [leader.name]);
    assert.equal(rows.filter((r) => r[2]!.includes('reach-reachable')).length, 3);
    assert.equal(valueOf(dom, 'member-name'), follower.name);
    assert.equal(valueOf(dom, 'member-role'), 'follower');
  } finally {
    await cluster.cleanup();
  }
});
