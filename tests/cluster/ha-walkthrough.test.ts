/**
 * The K3s HA guide (shared/runbooks/k3s-embedded-etcd-ha.txt) end to end on 127.0.0.1, with tetcd's own
 * flags: `--cluster-init`, two joins with `--server/--token`, `member list` and `endpoint health --cluster`
 * with the generated certificates (`<data-dir>/server/tetcdctl.env`); kill one server (writes go on),
 * bring it back; stop two (writes fail, nothing acknowledged is lost), restart; scheduled snapshots every
 * 2 s (6-field cron), compressed, retention 2 pruning locally and in S3 (s3rver on loopback); restore from
 * S3 with `--cluster-reset --cluster-reset-restore-path`; a former server on its old data is refused; the
 * two others rejoin after deleting their data dirs; the data equals the snapshot's.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { S3SnapshotStore } from '../../src/ha/s3-store.js';
import { startTestS3Server, type TestS3Server } from '../../src/ha/testing/s3-server.js';
import { TETCD_BIN } from '../helpers/binaries.js';
import { parseJsonWithBigIds, waitFor } from '../helpers/cluster.js';
import { runEtcdctl, type EtcdctlResult } from '../helpers/etcdctl.js';
import { allocatePort } from '../helpers/ports.js';
import { liveGroups, signalGroup } from '../helpers/process-groups.js';
import { READY_LINE } from '../helpers/server.js';

const BUCKET = 'tetcd-ha';
const FOLDER = 'site-01';
const RETENTION = 2;
const CRON_EVERY_2S = '*/2 * * * * *';
const READY_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const DONE_MESSAGE = 'Managed etcd cluster membership has been reset, restart without --cluster-reset flag now.';

const root = mkdtempSync(join(tmpdir(), 'tetcd-ha-walkthrough-'));
const servers: HaServer[] = [];
let s3: TestS3Server | undefined;
after(async () => {
  await Promise.all(servers.map((s) => s.kill()));
  await s3?.close();
  if (process.env['E2E_KEEP_TMP'] !== '1') rmSync(root, { recursive: true, force: true });
});

/** One `tetcd server` in HA mode (its own process group, log file kept across restarts). */
class HaServer {
  readonly dataDir: string;
  readonly logPath: string;
  private child: ChildProcess | undefined;
  private exited: Promise<number> = Promise.resolve(0);
  private starts = 0;

  constructor(readonly name: string, readonly clientPort: number, readonly peerPort: number,
    public mode: string[], readonly extra: string[] = []) {
    this.dataDir = join(root, name);
    this.logPath = join(root, `${name}.log`);
  }

  get clientUrl(): string { return `https://127.0.0.1:${this.clientPort}`; }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  spawn(more: readonly string[] = []): Promise<number> {
    assert.ok(!this.running, `${this.name} already running`);
    const args = [TETCD_BIN, 'server', '--name', this.name, '--data-dir', this.dataDir,
      '--listen-client-urls', this.clientUrl, '--listen-peer-urls', `https://127.0.0.1:${this.peerPort}`,
      '--learner-promote-interval', '1s', ...this.mode, ...this.extra, ...more];
    this.starts += 1;
    appendFileSync(this.logPath, `=== start #${this.starts}: ${args.join(' ')}\n`);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD') && !k.startsWith('TETCD_')));
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    assert.ok(child.pid !== undefined);
    const pid = child.pid;
    liveGroups.add(pid);
    this.child = child;
    child.stdout?.on('data', (c: Buffer) => appendFileSync(this.logPath, c));
    child.stderr?.on('data', (c: Buffer) => appendFileSync(this.logPath, c));
    this.exited = new Promise((resolve) => child.once('close', (code) => { liveGroups.delete(pid); resolve(code ?? -1); }));
    return this.exited;
  }

  logSinceStart(): string {
    const text = existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
    return text.slice(Math.max(0, text.lastIndexOf(`=== start #${this.starts}:`)));
  }

  /** Starts and waits for the ready line; fails at once if the process exits first. */
  async start(more: readonly string[] = []): Promise<void> {
    const exited = this.spawn(more);
    let ready = false;
    const readyLine = waitFor(`${this.name} ready`, READY_TIMEOUT_MS,
      () => Promise.resolve(ready || this.logSinceStart().includes(READY_LINE) ? true : undefined));
    readyLine.catch(() => undefined);
    const earlyExit = exited.then((code) => {
      if (!ready) throw new Error(`${this.name} exited (code ${code}) before ready:\n${this.logSinceStart().slice(-3000)}`);
    });
    await Promise.race([readyLine, earlyExit]);
    ready = true;
  }

  /** Runs to completion (a one-shot command such as --cluster-reset); resolves with the exit code. */
  async runOnce(more: readonly string[]): Promise<{ code: number; output: string }> {
    const code = await this.spawn(more);
    return { code, output: this.logSinceStart() };
  }

  async stop(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined || !this.running) return;
    signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  async kill(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined || !this.running) return;
    signalGroup(pid, 'SIGKILL');
    await this.exited;
  }
}

/** The operator environment the first server wrote (`set -a; . tetcdctl.env`), minus the endpoint list. */
function ctlEnv(server: HaServer): Record<string, string> {
  const text = readFileSync(join(server.dataDir, 'server', 'tetcdctl.env'), 'utf8');
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(ETCDCTL_[A-Z]+)=(.*)$/.exec(line.trim());
    if (m !== null && m[1] !== 'ETCDCTL_ENDPOINTS') env[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return env;
}

function ctl(via: HaServer, env: Record<string, string>, args: readonly string[]): Promise<EtcdctlResult> {
  return runEtcdctl(via.clientUrl, args, { env, timeoutMs: STEP_TIMEOUT_MS });
}

interface MemberRow { name?: string; isLearner?: boolean }

async function voterNames(via: HaServer, env: Record<string, string>): Promise<string[] | undefined> {
  const res = await ctl(via, env, ['member', 'list', '-w', 'json']);
  if (res.exitCode !== 0) return undefined;
  const members = (parseJsonWithBigIds(res.stdout) as { members: MemberRow[] }).members;
  if (members.some((m) => m.isLearner === true || (m.name ?? '') === '')) return undefined;
  return members.map((m) => m.name!).sort();
}

async function waitForVoters(via: HaServer, env: Record<string, string>, names: string[]): Promise<void> {
  await waitFor(`voters ${names.join(',')}`, STEP_TIMEOUT_MS, async () => {
    const got = await voterNames(via, env);
    return got !== undefined && got.join(',') === [...names].sort().join(',') ? true : undefined;
  });
}

/** Puts until acknowledged (a leader election may be under way); records the ack. */
async function putAcked(via: HaServer, env: Record<string, string>, acked: Map<string, string>,
  key: string): Promise<void> {
  await waitFor(`put ${key}`, STEP_TIMEOUT_MS, async () => {
    const res = await ctl(via, env, ['--command-timeout=3s', 'put', key, `v-${key}`]);
    return res.exitCode === 0 ? true : undefined;
  });
  acked.set(key, `v-${key}`);
}

async function readPrefix(via: HaServer, env: Record<string, string>, prefix: string,
  serializable = false): Promise<Map<string, string>> {
  const res = await ctl(via, env, ['get', prefix, '--prefix', ...(serializable ? ['--consistency=s'] : [])]);
  assert.equal(res.exitCode, 0, `get ${prefix}: ${res.stderr}`);
  const lines = res.stdout.split('\n');
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < lines.length; i += 2) out.set(lines[i]!, lines[i + 1]!);
  return out;
}

const startedMs = Date.now();
/** Prints how long the walkthrough took to reach `phase` (for the budget). */
function phase(name: string): void {
  console.log(`walkthrough +${((Date.now() - startedMs) / 1000).toFixed(1)}s: ${name}`);
}

const unixSecondsOf = (name: string): number => Number(/-(\d+)(\.zip)?$/.exec(name)?.[1] ?? 0);

test('the K3s HA guide on 127.0.0.1: init, joins, failures, scheduled S3 snapshots, restore, rejoin',
  { timeout: 300_000 }, async () => {
    s3 = await startTestS3Server(BUCKET);
    const snapshotFlags = ['--etcd-snapshot-schedule-cron', CRON_EVERY_2S, `--etcd-snapshot-retention=${RETENTION}`,
      '--etcd-snapshot-compress', ...s3.flags(FOLDER)];
    const ports = await Promise.all([0, 1, 2, 3, 4, 5].map(() => allocatePort()));
    const s1 = new HaServer('s1', ports[0]!, ports[1]!, ['--cluster-init'], snapshotFlags);
    servers.push(s1);
    await s1.start();
    const token = readFileSync(join(s1.dataDir, 'server', 'token'), 'utf8').trim();
    const join2 = ['--server', s1.clientUrl, '--token', token];
    const s2 = new HaServer('s2', ports[2]!, ports[3]!, join2);
    const s3srv = new HaServer('s3', ports[4]!, ports[5]!, join2);
    servers.push(s2, s3srv);
    await s2.start();
    await s3srv.start();
    const env = ctlEnv(s1);
    await waitForVoters(s1, env, ['s1', 's2', 's3']);
    phase('init + two joins: 3 voters');
    const table = await ctl(s1, env, ['member', 'list', '-w', 'table']);
    assert.equal(table.exitCode, 0, table.stderr);
    for (const s of servers) assert.ok(table.stdout.includes(s.clientUrl), table.stdout);
    const health = await ctl(s1, env, ['endpoint', 'health', '--cluster']);
    assert.equal(health.exitCode, 0, `${health.stdout}${health.stderr}`);
    assert.equal((health.stdout + health.stderr).match(/is healthy/g)?.length, 3, health.stdout + health.stderr);

    const acked = new Map<string, string>();
    for (let i = 0; i < 5; i++) await putAcked(s1, env, acked, `k/a${i}`);
    // Kill one server: writes go on; bring it back.
    await s3srv.kill();
    phase('one server killed');
    for (let i = 0; i < 5; i++) await putAcked(s1, env, acked, `k/b${i}`);
    await s3srv.start();
    // Stop two: writes fail, nothing acknowledged is lost; restart.
    await Promise.all([s2.stop(), s3srv.stop()]);
    phase('two servers stopped');
    // (Outside k/: a timed-out proposal may still commit once quorum is back, as on etcd.)
    const refused = await ctl(s1, env, ['--command-timeout=2s', 'put', 'x/no-quorum', 'x']);
    assert.notEqual(refused.exitCode, 0, 'a put without quorum must fail');
    assert.deepEqual(await readPrefix(s1, env, 'k/', true), acked);
    await Promise.all([s2.start(), s3srv.start()]);
    for (let i = 0; i < 5; i++) await putAcked(s2, env, acked, `k/c${i}`);
    assert.deepEqual(await readPrefix(s3srv, env, 'k/'), acked);

    phase('all three back, data checked');
    // Scheduled snapshots: retention prunes locally and in S3; pick one taken after the last write.
    const lastWriteSeconds = Math.floor(Date.now() / 1000);
    const store = new S3SnapshotStore(s3.options(FOLDER));
    const seen = new Set<string>();
    const localDir = join(s1.dataDir, 'server', 'db', 'snapshots');
    const chosen = await waitFor('pruned S3 snapshots newer than the last write', 90_000, async () => {
      const objects = (await store.list()).map((o) => o.name);
      for (const name of objects) seen.add(name);
      const local = existsSync(localDir) ? readdirSync(localDir).filter((n) => n.endsWith('.zip')) : [];
      const newest = objects.sort((a, b) => unixSecondsOf(a) - unixSecondsOf(b)).at(-1);
      const ready = seen.size > RETENTION + 1 && objects.length <= RETENTION && local.length <= RETENTION &&
        newest !== undefined && unixSecondsOf(newest) >= lastWriteSeconds + 2;
      return ready ? newest : undefined;
    });
    store.close();
    phase(`snapshots pruned to ${RETENTION} (${seen.size} seen); restoring ${chosen}`);
    await putAcked(s1, env, new Map(), 'k/after-snapshot');
    await Promise.all(servers.map((s) => s.stop()));

    // Restore from S3 on s1, start it alone; a former server on old data is refused; the others rejoin.
    const restore = await s1.runOnce(['--cluster-reset', `--cluster-reset-restore-path=${chosen}`]);
    assert.equal(restore.code, 0, restore.output.slice(-3000));
    assert.ok(restore.output.includes(DONE_MESSAGE));
    await s1.start();
    phase('restored from S3; s1 alone');
    // s2 restarts on its old data (refused) while s3, its data dir deleted, joins again; then s2 does.
    rmSync(s3srv.dataDir, { recursive: true, force: true });
    const [old] = await Promise.all([s2.runOnce([]), s3srv.start()]);
    assert.equal(old.code, 1, old.output.slice(-3000));
    assert.match(old.output, /has data from an old cluster.*Back up and delete/s);
    rmSync(s2.dataDir, { recursive: true, force: true });
    await s2.start();
    await waitForVoters(s1, env, ['s1', 's2', 's3']);
    phase('s2 and s3 rejoined');
    assert.deepEqual(await readPrefix(s3srv, env, 'k/'), acked, 'restored data = the snapshot\'s');
    await waitFor('equal hashkv on the three servers', STEP_TIMEOUT_MS, async () => {
      const res = await ctl(s1, env, ['endpoint', 'hashkv', '--cluster', '-w', 'json']);
      if (res.exitCode !== 0) return undefined;
      const hashes = (parseJsonWithBigIds(res.stdout) as Array<{ HashKV: { hash: number | string } }>)
        .map((h) => String(h.HashKV.hash));
      return hashes.length === 3 && new Set(hashes).size === 1 ? true : undefined;
    });
  });
