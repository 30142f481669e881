/**
 * Lease, lock and election oracle tests: the same etcdctl commands run against real etcd and tetcd
 * (`lease grant/revoke/timetolive --keys/list/keep-alive --once`, `put --lease`, `lock`, `elect`) and
 * must print the same; plus subject checks that expired leases delete their keys on time and that
 * leases survive a restart.
 *
 * Normalisation: lease ids differ between two servers, so each
 * server's ids are learned from its own output (in order of appearance) and replaced by `<lease-N>`
 * placeholders; commands that take an id are built per server from its own list. Outputs that are
 * random in etcd (Go map order: `lease list`, attached keys) are sorted; a remaining TTL within
 * REMAINING_SLACK_SECONDS of the granted TTL becomes `<nearly-granted>` (both servers are timed alike
 * but not to the second).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ElectionService, LeaseService, LockService } from '../../src/proto/services.js';
import { ETCDCTL_BIN } from '../helpers/binaries.js';
import { createKvClient } from '../helpers/grpc-client.js';
import { startOraclePair, stopOraclePair, type OraclePair } from '../helpers/oracle.js';
import { normaliseOutput } from '../helpers/normalise.js';
import { runEtcdctl, type EtcdctlOptions, type EtcdctlResult } from '../helpers/etcdctl.js';
import { lineDiff } from '../helpers/diff.js';
import type { ServerProcess } from '../helpers/server.js';

const REMAINING_SLACK_SECONDS = 3;

/** One side of the comparison: a server and the lease ids (hex, unpadded) it has shown so far. */
interface Side { server: ServerProcess; ids: string[] }

type Args = readonly string[] | ((id: (n: number) => string) => readonly string[]);

interface Step { args: Args; stdin?: string; timeoutMs?: number }

const GRANTED = /lease ([0-9a-f]{1,16}) granted with TTL/g;
const NAMED_KEY = /\b(mylock|myelection)\/([0-9a-f]{1,16})\b/g;

function learnIds(side: Side, text: string): void {
  for (const pattern of [GRANTED, NAMED_KEY]) {
    for (const match of text.matchAll(pattern)) {
      const hex = BigInt(`0x${match[match.length - 1]!}`).toString(16);
      if (!side.ids.includes(hex)) side.ids.push(hex);
    }
  }
}

/** Replaces learned ids, sorts Go-map-ordered output and blurs nearly-full remaining TTLs. */
function normaliseLeaseOutput(side: Side, text: string): string {
  let out = normaliseOutput(text, { endpoints: [side.server.endpoint, side.server.clientUrl] });
  side.ids.forEach((hex, n) => {
    const id = BigInt(`0x${hex}`);
    out = out.replaceAll(id.toString(16).padStart(16, '0'), `<lease-${n}>`).replaceAll(hex, `<lease-${n}>`)
      .replaceAll(id.toString(10), `<lease-${n}>`);
  });
  out = out.replace(/granted with TTL\((\d+)s\), remaining\((\d+)s\)/g, (all, granted: string, remaining: string) =>
    nearly(granted, remaining) ? `granted with TTL(${granted}s), remaining(<nearly-granted>)` : all);
  out = out.replace(/"ttl":(\d+),"granted-ttl":(\d+)/g, (all, remaining: string, granted: string) =>
    nearly(granted, remaining) ? `"ttl":<nearly-granted>,"granted-ttl":${granted}` : all);
  out = out.replace(/attached keys\(\[([^\]]*)\]\)/g, (_all, keys: string) => `attached keys([${keys.split(' ').sort().join(' ')}])`);
  out = out.replace(/"leases":\[([^\]]*)\]/g, (_all, items: string) => `"leases":[${items.split(',').sort().join(',')}]`);
  const lines = out.split('\n');
  if (/^found \d+ leases$/.test(lines[0] ?? '')) out = [lines[0], ...lines.slice(1).filter((l) => l !== '').sort(), ''].join('\n');
  return out;
}

function nearly(granted: string, remaining: string): boolean {
  const gap = Number(granted) - Number(remaining);
  return gap >= 0 && gap <= REMAINING_SLACK_SECONDS;
}

function argsFor(side: Side, args: Args): readonly string[] {
  if (typeof args !== 'function') return args;
  return args((n) => {
    const hex = side.ids[n];
    if (hex === undefined) throw new Error(`lease ${n} was never granted on ${side.server.name}`);
    return hex;
  });
}

async function runOn(side: Side, step: Step): Promise<EtcdctlResult & { args: readonly string[] }> {
  const args = argsFor(side, step.args);
  const options: EtcdctlOptions = { ...(step.stdin === undefined ? {} : { stdin: step.stdin }),
    ...(step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs }) };
  const result = await runEtcdctl(side.server.endpoint, args, options);
  learnIds(side, result.stdout);
  return { args, stdout: normaliseLeaseOutput(side, result.stdout), stderr: normaliseLeaseOutput(side, result.stderr),
    exitCode: result.exitCode };
}

/** Both sides of an oracle pair with their learned ids. */
interface LeasePair { oracle: Side; subject: Side }

function leasePair(pair: OraclePair): LeasePair {
  return { oracle: { server: pair.oracle, ids: [] }, subject: { server: pair.subject, ids: [] } };
}

/** Runs each step on the oracle then the subject; returns a report per mismatching step. */
async function compareSteps(pair: LeasePair, steps: readonly Step[]): Promise<string[]> {
  const mismatches: string[] = [];
  for (const step of steps) {
    const oracle = await runOn(pair.oracle, step);
    const subject = await runOn(pair.subject, step);
    if (process.env['E2E_VERBOSE'] === '1') console.log(`$ etcdctl ${oracle.args.join(' ')}\n${oracle.stdout}${oracle.stderr}(exit ${oracle.exitCode})`);
    const problems: string[] = [];
    if (oracle.exitCode !== subject.exitCode) problems.push(`exit code: oracle ${oracle.exitCode}, subject ${subject.exitCode}`);
    const out = lineDiff(oracle.stdout, subject.stdout);
    if (out !== '') problems.push(`stdout differs:\n${out}`);
    const err = lineDiff(oracle.stderr, subject.stderr);
    if (err !== '') problems.push(`stderr differs:\n${err}`);
    if (problems.length > 0) mismatches.push(`$ etcdctl ${subject.args.join(' ')}\n${problems.join('\n')}`);
  }
  return mismatches;
}

let pair: OraclePair | undefined;
let sides: LeasePair | undefined;

before(async () => {
  pair = await startOraclePair();
  sides = leasePair(pair);
});

after(async () => {
  await stopOraclePair(pair);
});

async function runSteps(steps: readonly Step[]): Promise<void> {
  assert.ok(sides !== undefined, 'servers did not start (see the before hook failure)');
  const mismatches = await compareSteps(sides, steps);
  assert.equal(mismatches.length, 0, `${mismatches.length} of ${steps.length} etcdctl commands differ from etcd:\n\n${mismatches.join('\n\n')}`);
}

const cmd = (...args: string[]): Step => ({ args });
const withId = (build: (id: (n: number) => string) => readonly string[]): Step => ({ args: build });

test('lease grant, put --lease, timetolive, keep-alive --once, list, revoke', async () => {
  const p = 'e2e/lease/';
  await runSteps([
    cmd('lease', 'grant', '100'), cmd('lease', 'grant', '1'), withId((id) => ['lease', 'revoke', id(1)]),
    cmd('lease', 'grant', '50'), cmd('lease', 'grant', '9000000001'), cmd('lease', 'grant', 'abc'), cmd('lease', 'grant'),
    withId((id) => ['put', '--lease', id(0), `${p}a`, '1']), withId((id) => ['put', '--lease', id(0), `${p}b`, '2']),
    withId((id) => ['put', `${p}c`, '3', `--lease=${id(2)}`]), cmd('put', '--lease', '1234', `${p}x`, 'y'),
    withId((id) => ['lease', 'timetolive', id(0)]), withId((id) => ['lease', 'timetolive', id(0), '--keys']),
    withId((id) => ['lease', 'timetolive', id(2), '--keys', '-w', 'json']),
    withId((id) => ['lease', 'timetolive', id(2), '-w', 'fields']),
    cmd('lease', 'timetolive', '1234'), cmd('lease', 'timetolive', '1234', '-w', 'json'),
    withId((id) => ['lease', 'keep-alive', '--once', id(0)]), withId((id) => ['lease', 'keep-alive', '--once', id(2), '-w', 'json']),
    cmd('lease', 'keep-alive', '--once', '1234'), cmd('lease', 'list'), cmd('lease', 'list', '-w', 'json'),
    cmd('put', `${p}c`, 'no-lease-now'), withId((id) => ['lease', 'timetolive', id(2), '--keys']),
    cmd('get', p, '--prefix', '-w', 'json'),
    withId((id) => ['lease', 'revoke', id(0)]), cmd('get', p, '--prefix', '-w', 'json'),
    withId((id) => ['lease', 'timetolive', id(0), '--keys']), withId((id) => ['lease', 'revoke', id(0)]),
    withId((id) => ['lease', 'keep-alive', '--once', id(0)]), cmd('lease', 'revoke', '1234'),
    withId((id) => ['lease', 'revoke', id(2), '-w', 'json']), cmd('lease', 'list'),
  ]);
});

test('lock and elect (etcdctl recipes over KV, Lease and Watch)', async () => {
  await runSteps([
    { args: ['lock', 'mylock', '--', 'sh', '-c', 'echo "held $ETCD_LOCK_KEY"'] },
    { args: ['lock', '--ttl', '5', 'mylock', '--', 'sh', '-c', 'echo "again $ETCD_LOCK_KEY"'] },
    cmd('get', 'mylock', '--prefix', '--keys-only'),
  ]);
  assert.ok(sides !== undefined);
  for (const side of [sides.oracle, sides.subject]) {
    const leader = startBlocking(side.server.endpoint, ['elect', 'myelection', 'proposal-1']);
    try {
      const output = await leader.waitFor(/proposal-1\n/);
      assert.match(output, /^myelection\/[0-9a-f]+\nproposal-1\n$/, `elect on ${side.server.name}`);
      const listener = startBlocking(side.server.endpoint, ['elect', '--listen', 'myelection']);
      const observed = await listener.waitFor(/proposal-1\n/).finally(() => listener.kill());
      assert.equal(observed, output, `elect --listen on ${side.server.name}`);
    } finally {
      leader.kill();
    }
  }
});

test('Lock and Election gRPC services answer as etcd does', async () => {
  assert.ok(pair !== undefined);
  const oracle = await serviceTranscript(pair.oracle.endpoint);
  const subject = await serviceTranscript(pair.subject.endpoint);
  assert.equal(lineDiff(oracle.join('\n'), subject.join('\n')), '');
});

test('keys of an expired lease are deleted within one election timeout after expiry (subject)', async () => {
  assert.ok(pair !== undefined);
  const endpoint = pair.subject.endpoint;
  const client = createKvClient(endpoint);
  const electionTimeoutMs = 1000;
  try {
    const grantStartMs = performance.now();
    const grant = await runEtcdctl(endpoint, ['lease', 'grant', '1']);
    const grantDoneMs = performance.now();
    const id = /lease ([0-9a-f]+) granted with TTL\(2s\)/.exec(grant.stdout)?.[1];
    assert.ok(id !== undefined, `unexpected grant output ${grant.stdout}${grant.stderr}`);
    const put = await runEtcdctl(endpoint, ['put', '--lease', id, 'e2e/expiry/k', 'v']);
    assert.equal(put.stdout, 'OK\n');
    const key = Buffer.from('e2e/expiry/k');
    for (;;) {
      const nowMs = performance.now();
      const response = await client.kv.range({ key });
      const present = response.kvs.length > 0;
      if (!present) {
        assert.ok(nowMs >= grantStartMs + 2000, `key deleted early, ${Math.round(nowMs - grantStartMs)} ms after the grant started`);
        break;
      }
      assert.ok(nowMs <= grantDoneMs + 2000 + electionTimeoutMs,
        `key still present ${Math.round(nowMs - grantDoneMs)} ms after the grant returned (TTL 2 s)`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const ttl = await runEtcdctl(endpoint, ['lease', 'timetolive', id]);
    assert.equal(ttl.stdout, `lease ${id.padStart(16, '0')} already expired\n`);
  } finally {
    client.close();
  }
});

test('leases and attached keys survive a restart (subject)', async () => {
  assert.ok(pair !== undefined);
  const subject = pair.subject;
  const grant = await runEtcdctl(subject.endpoint, ['lease', 'grant', '300']);
  const id = /lease ([0-9a-f]+) granted/.exec(grant.stdout)?.[1];
  assert.ok(id !== undefined, grant.stdout + grant.stderr);
  await runEtcdctl(subject.endpoint, ['put', '--lease', id, 'e2e/restart/k', 'v']);
  await subject.stop();
  await subject.restart();
  const ttl = await runEtcdctl(subject.endpoint, ['lease', 'timetolive', id, '--keys']);
  assert.match(ttl.stdout, new RegExp(`^lease ${id.padStart(16, '0')} granted with TTL\\(300s\\), remaining\\(\\d+s\\), attached keys\\(\\[e2e/restart/k\\]\\)\\n$`));
  const revoke = await runEtcdctl(subject.endpoint, ['lease', 'revoke', id]);
  assert.equal(revoke.exitCode, 0, revoke.stderr);
  const get = await runEtcdctl(subject.endpoint, ['get', 'e2e/restart/k']);
  assert.equal(get.stdout, '');
});

/** A blocking etcdctl command (elect) whose stdout is awaited for a pattern; kill() sends SIGINT. */
interface Blocking { waitFor(until: RegExp): Promise<string>; kill(): void }

function startBlocking(endpoint: string, args: readonly string[]): Blocking {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCDCTL'))), ETCDCTL_API: '3' };
  const child = spawn(ETCDCTL_BIN, [`--endpoints=${endpoint}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  const waitFor = async (until: RegExp, timeoutMs = 15_000): Promise<string> => {
    const deadline = performance.now() + timeoutMs;
    while (!until.test(stdout)) {
      if (performance.now() > deadline || child.exitCode !== null) {
        throw new Error(`etcdctl ${args.join(' ')}: no ${String(until)} in ${timeoutMs} ms: ${stdout}${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return stdout;
  };
  return { waitFor, kill: () => { if (child.exitCode === null) child.kill('SIGINT'); } };
}

type Unary = (request: unknown, callback: (error: grpc.ServiceError | null, response: never) => void) => void;

/** Drives the Lease, Lock and Election services with raw gRPC; returns a server-independent transcript. */
async function serviceTranscript(endpoint: string): Promise<string[]> {
  const make = (definition: grpc.ServiceDefinition, name: string): Record<string, Unary> & grpc.Client =>
    new (grpc.makeGenericClientConstructor(definition, name))(endpoint, grpc.credentials.createInsecure()) as never;
  const lease = make(LeaseService, 'Lease');
  const lock = make(LockService, 'Lock');
  const election = make(ElectionService, 'Election');
  const call = <T>(client: Record<string, Unary>, method: string, request: unknown): Promise<T> =>
    new Promise((resolve, reject) => client[method]!.call(client, request,
      (error, response) => (error ? reject(error) : resolve(response))));
  const lines: string[] = [];
  const attempt = async (label: string, run: () => Promise<string>): Promise<void> => {
    try {
      lines.push(`${label}: ${await run()}`);
    } catch (error) {
      lines.push(`${label}: error ${(error as grpc.ServiceError).code} ${(error as grpc.ServiceError).details}`);
    }
  };
  try {
    const granted = await call<{ ID: bigint; header: { revision: number } }>(lease, 'leaseGrant', { TTL: 60, ID: 0n });
    const base = granted.header.revision;
    const hex = granted.ID.toString(16);
    const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8').replaceAll(hex, '<lease>');
    const rev = (revision: number): string => `base+${revision - base}`;
    const enc = (value: string): Uint8Array => Buffer.from(value);
    await attempt('lock', async () => {
      const r = await call<{ key: Uint8Array; header: { revision: number } }>(lock, 'lock', { name: enc('svc-lock'), lease: granted.ID });
      await attempt('unlock', async () => rev((await call<{ header: { revision: number } }>(lock, 'unlock', { key: r.key })).header.revision));
      return `${text(r.key)} ${rev(r.header.revision)}`;
    });
    await attempt('lock unknown lease', async () => String(await call(lock, 'lock', { name: enc('svc-lock'), lease: 0x1234n })));
    type Leader = { name: Uint8Array; key: Uint8Array; rev: number; lease: bigint };
    let leader: Leader | undefined;
    await attempt('campaign', async () => {
      leader = (await call<{ leader: Leader }>(election, 'campaign', { name: enc('svc-el'), lease: granted.ID, value: enc('v1') })).leader;
      return `${text(leader.name)} ${text(leader.key)} ${rev(leader.rev)} ${leader.lease === granted.ID}`;
    });
    const showLeader = async (): Promise<string> => {
      const r = await call<{ kv: { key: Uint8Array; value: Uint8Array; createRevision: number; modRevision: number } }>(
        election, 'leader', { name: enc('svc-el') });
      return `${text(r.kv.key)}=${text(r.kv.value)} ${rev(r.kv.createRevision)} ${rev(r.kv.modRevision)}`;
    };
    await attempt('leader', showLeader);
    await attempt('proclaim', async () => String(!!(await call(election, 'proclaim', { leader, value: enc('v2') }))));
    await attempt('leader after proclaim', showLeader);
    await attempt('proclaim stale', async () => String(await call(election, 'proclaim', { leader: { ...leader!, rev: 1 }, value: enc('x') })));
    await attempt('resign', async () => String(!!(await call(election, 'resign', { leader }))));
    await attempt('leader after resign', showLeader);
    await attempt('revoke', async () => rev((await call<{ header: { revision: number } }>(lease, 'leaseRevoke', { ID: granted.ID })).header.revision));
  } finally {
    for (const client of [lease, lock, election]) client.close();
  }
  return lines;
}
