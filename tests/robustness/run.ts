/**
 * One robustness run: start a cluster, run clients + watchers, inject faults on a schedule, then let the
 * cluster settle, wait for every watcher to catch up with the final revision and check the history.
 * On failure (or with TETCD_ROBUSTNESS_KEEP=1), writes a report directory (history.json, violations.txt, summary,
 * member data dirs and logs, seed) and returns its path.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RobustCluster } from './cluster.js';
import { checkLeases } from './check-leases.js';
import { checkRevisions } from './check-revisions.js';
import { checkWatches } from './check-watch.js';
import { FAULTS, runFault, waitAllUp, type FaultName } from './faults.js';
import { Recorder, type History } from './history.js';
import { Rng } from './rng.js';
import { MemberConnection, RpcError, type Security } from './rpc.js';
import { enableAuth, permittedRange, secureClusterOptions } from './secure.js';
import { keySpace, runClient, type Profile } from './traffic.js';
import { Watcher } from './watcher.js';
import { checkWgl } from './wgl.js';

export interface RunOptions {
  seed: number;
  durationMs: number;
  members: 3 | 5;
  profile: Profile;
  clients?: number;
  watchers?: number;
  /** Faults to draw from (default: all). */
  faults?: readonly FaultName[];
  /** Pause between the end of one fault and the next. */
  faultGapMs?: number;
  /** Extra member environment (crash points, canary). */
  env?: Record<string, string>;
  /** --snapshot-count for the members (small values exercise snapshot save and catch-up). */
  snapshotCount?: number;
  /** The secure profile: client TLS and auth (secure.ts); traffic and watchers authenticate. */
  secure?: boolean;
  log?: (line: string) => void;
}

export interface RunResult {
  ok: boolean;
  violations: string[];
  opsTotal: number;
  opsOk: number;
  opsIndeterminate: number;
  watchEvents: number;
  finalRevision: number;
  faults: History['faults'];
  crashes: number;
  wglKeys: number;
  wglUnknown: number;
  reportDir: string | undefined;
  summary: string;
}

const CATCH_UP_TIMEOUT_MS = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs one profile end to end. Throws only on harness failures (cluster cannot start). */
export async function runRobustness(options: RunOptions): Promise<RunResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const rng = new Rng(options.seed);
  const env = { TETCD_CRASH_LOSE_UNSYNCED: '1', TETCD_CRASH_SEED: String(options.seed), ...options.env };
  const secure = options.secure === true ? await secureClusterOptions() : undefined;
  let cluster: RobustCluster;
  try {
    cluster = await RobustCluster.start({ size: options.members, env, log, ...secure?.options,
      ...(options.snapshotCount === undefined ? {} : { snapshotCount: options.snapshotCount }) });
  } catch (error) {
    secure?.fixtures.cleanup();
    throw error;
  }
  const rec = new Recorder();
  const conns = new Map<string, MemberConnection>();
  const connection = (i: number): { member: string; conn: MemberConnection } => {
    const active = cluster.active();
    const m = active[i % active.length]!;
    let conn = conns.get(m.name);
    if (conn === undefined) {
      conn = new MemberConnection(m.endpoint, undefined, clientSecurity);
      conns.set(m.name, conn);
    }
    return { member: m.name, conn };
  };
  let stopped = false;
  let violations: string[] = [];
  let finalRevision = 0;
  let clientSecurity: Security | undefined;
  try {
    if (secure !== undefined) clientSecurity = await enableAuth(cluster, options.profile);
    const range = secure === undefined ? undefined : permittedRange(options.profile);
    const watchers = Array.from({ length: options.watchers ?? 3 }, (_, i) =>
      new Watcher(i, 1, rec, () => connection(i), options.profile === 'k8s' && i > 0 ? 4_000 + 1_000 * i : 0, range));
    watchers.forEach((w) => w.start());
    const progressTimer = setInterval(() => watchers.forEach((w) => w.requestProgress()), 1_000);
    const clients = Array.from({ length: options.clients ?? 8 }, (_, i) =>
      runClient(i, new Rng(options.seed * 31 + i), { recorder: rec, profile: options.profile, connection,
        stopped: () => stopped }));
    const faultList = options.faults ?? FAULTS;
    const endAt = Date.now() + options.durationMs;
    await sleep(1_000);
    while (Date.now() < endAt - 2_000 && faultList.length > 0) {
      const name = rng.pick(faultList);
      log(`fault ${name} ...`);
      let record;
      try {
        record = await runFault(name, { cluster, rng, now: () => rec.now(),
          compactableRev: () => Math.min(...watchers.map((w) => w.seenRev)) - 20 });
      } catch (error) {
        violations.push(`cluster did not recover after fault ${name}: ${String(error)}`);
        break;
      }
      rec.faults.push(record);
      log(`fault ${name} ${record.target} ${record.ok ? 'done' : `FAILED ${record.note ?? ''}`}`);
      await sleep(options.faultGapMs ?? 1_500);
    }
    while (Date.now() < endAt) await sleep(100);
    stopped = true;
    await Promise.all(clients);
    cluster.network.healAll();
    try {
      finalRevision = await settle(cluster);
    } catch (error) {
      violations.push(`cluster did not recover at the end: ${String(error)}`);
    }
    const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
    while (watchers.some((w) => w.seenRev < finalRevision) && Date.now() < deadline) {
      watchers.forEach((w) => w.requestProgress());
      await sleep(200);
    }
    clearInterval(progressTimer);
    await Promise.all(watchers.map((w) => w.stop()));
    const lagging = watchers.filter((w) => w.seenRev < finalRevision);
    for (const w of lagging) violations.push(`watcher ${w.id} stopped at ${w.seenRev}, final revision ${finalRevision}`);
    const history = rec.history(options.seed, options.profile, options.members);
    const checked = checkHistory(history, options.profile);
    violations = [...violations, ...checked.violations];
    const result = summarize(history, violations, finalRevision, cluster, checked);
    if (!result.ok || process.env['TETCD_ROBUSTNESS_KEEP'] === '1') {
      result.reportDir = writeReport(history, result, cluster);
      log(`robustness ${result.ok ? 'passed' : 'FAILED'} (seed ${options.seed}); report: ${result.reportDir}`);
    }
    return result;
  } finally {
    stopped = true;
    for (const c of conns.values()) c.close();
    await cluster.close();
    secure?.fixtures.cleanup();
  }
}

/** Waits for every member and a leader; returns the revision a linearizable read sees. */
async function settle(cluster: RobustCluster): Promise<number> {
  await waitAllUp(cluster);
  const leader = await cluster.leader();
  const conn = cluster.connect(leader);
  try {
    return (await conn.range({ key: new Uint8Array([0]) })).header?.revision ?? 0;
  } catch (error) {
    // --secure: the member forgot the harness's token (restart, token TTL); the connection fetched a new one.
    if (!(error instanceof RpcError) || !error.message.includes('auth token')) throw error;
    return (await conn.range({ key: new Uint8Array([0]) })).header?.revision ?? 0;
  } finally {
    conn.close();
  }
}

/** Runs every checker over a recorded history. */
export function checkHistory(history: History, profile: Profile): { violations: string[]; wglKeys: number;
  wglUnknown: number; leaseEnds: number; leaseExpiries: number } {
  const violations: string[] = [];
  const log = checkWatches(history, violations);
  const model = checkRevisions(history.ops, log, violations);
  const expiries = checkLeases(history, model, violations);
  const wgl = checkWgl([...history.ops, ...expiries], model, keySpace(profile).leaseKeys, violations);
  const unknown = [...wgl.values()].filter((r) => r.ok === 'unknown').length;
  const leaseEnds = model.leaseEnds.length + history.ops.filter((o) => o.kind === 'leaseRevoke' &&
    model.effectRev.has(o.id)).length;
  return { violations, wglKeys: wgl.size, wglUnknown: unknown, leaseEnds, leaseExpiries: model.leaseEnds.length };
}

function summarize(history: History, violations: string[], finalRevision: number, cluster: RobustCluster,
  { wglKeys, wglUnknown, leaseEnds, leaseExpiries }: ReturnType<typeof checkHistory>): RunResult {
  const opsOk = history.ops.filter((o) => o.completeMs !== null).length;
  const watchEvents = history.watches.reduce((n, s) => n + s.responses.reduce((m, r) => m + r.events.length, 0), 0);
  const crashes = cluster.members.reduce((n, m) => n + m.crashes, 0);
  const faultCounts = new Map<string, number>();
  for (const f of history.faults) faultCounts.set(f.name, (faultCounts.get(f.name) ?? 0) + 1);
  const summary = [
    `seed=${history.seed} profile=${history.profile} members=${history.members}`,
    `ops=${history.ops.length} ok=${opsOk} failed/indeterminate=${history.ops.length - opsOk} ` +
      `watch events=${watchEvents} final revision=${finalRevision}`,
    `faults: ${[...faultCounts].map(([k, v]) => `${k}x${v}`).join(' ') || 'none'}; crash-point/power-loss restarts=${crashes}`,
    `lease ends with deletes=${leaseEnds} (by expiry or indeterminate revoke: ${leaseExpiries}); ` +
      `WGL keys=${wglKeys} unknown=${wglUnknown}; violations=${violations.length}`,
  ].join('\n');
  return { ok: violations.length === 0, violations, opsTotal: history.ops.length, opsOk,
    opsIndeterminate: history.ops.length - opsOk, watchEvents, finalRevision, faults: history.faults, crashes,
    wglKeys, wglUnknown, reportDir: undefined, summary };
}

function writeReport(history: History, result: RunResult, cluster: RobustCluster): string {
  const root = process.env['TETCD_ROBUSTNESS_REPORTS'] ?? join(tmpdir(), 'tetcd-robustness-reports');
  const dir = join(root, `seed-${history.seed}-${history.profile}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'history.json'), JSON.stringify(history));
  writeFileSync(join(dir, 'violations.txt'), `${result.violations.join('\n')}\n`);
  writeFileSync(join(dir, 'summary.txt'), `${result.summary}\nreplay: SEED=${history.seed}\n`);
  cluster.copyArtifacts(join(dir, 'members'));
  return dir;
}
