/**
 * Golden test for tetcdctl: the same command lines run with real etcdctl 3.4 (/usr/bin/etcdctl) and
 * with tetcdctl, each against its own fresh real etcd 3.4 (identical command sequences, so both
 * servers go through identical states). stdout, stderr and exit codes must match exactly after
 * normalising ids, endpoints, lease ids, `took` durations and etcdctl's zap warning lines.
 * Fails (never skips) when etcd or etcdctl is missing. GOLDEN_FILTER=text runs a subset.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ETCDCTL_BIN, requireOracleBinaries } from '../helpers/binaries.js';
import { lineDiff } from '../helpers/diff.js';
import { ServerProcess } from '../helpers/server.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalise, runTool, tetcdctlCommand } from './golden-support.js';
import type { Side } from './golden-support.js';
import { GOLDEN_CASES } from './golden-cases.js';
import { canonicalProtobuf } from './golden-protobuf.js';
import type { GoldenCase } from './golden-cases.js';

let sides: [Side, Side] | undefined;
const bundleDir = mkdtempSync(join(tmpdir(), 'tetcdctl-golden-'));

async function makeSide(label: string, command: readonly string[]): Promise<Side> {
  const server = await ServerProcess.start({ kind: 'etcd', name: 'default' });
  const status = await runTool([ETCDCTL_BIN], ['endpoint', 'status', '-w', 'json'], server.endpoint);
  const header = /"cluster_id":(\d+),"member_id":(\d+)/.exec(status.stdout.toString());
  if (header === null) throw new Error(`cannot read ids of ${label}'s etcd: ${status.stderr}`);
  return { label, server, command, clusterId: BigInt(header[1]!), memberId: BigInt(header[2]!), leases: [] };
}

/** Lease ids differ between servers: list them (ascending = grant order) after each grant. */
async function learnLeases(side: Side): Promise<void> {
  const list = await runTool([ETCDCTL_BIN], ['lease', 'list', '-w', 'json'], side.server.endpoint);
  const ids = [...list.stdout.toString().matchAll(/"id":(\d+)/g)].map((m) => BigInt(m[1]!));
  side.leases = ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function runCase(c: GoldenCase, side: Side): Promise<{ out: string; err: string; code: number }> {
  const args = typeof c.args === 'function' ? c.args(side) : c.args;
  const endpoint = side.server.endpoint;
  const result = await runTool(side.command, args, endpoint,
    { ...(c.stdin !== undefined ? { stdin: c.stdin } : {}), withEndpointEnv: c.noEndpointEnv !== true });
  const raw = c.protobuf !== undefined && result.exitCode === 0
    ? canonicalProtobuf(c.protobuf, result.stdout, side) : result.stdout.toString('latin1');
  if (c.name.startsWith('lease grant')) await learnLeases(side);
  const options = { ttl: c.ttl === true, collapseTables: collapse() || c.dbSize === true, dbSize: c.dbSize === true };
  return { out: normalise(raw, side, options), err: normalise(result.stderr, side, options), code: result.exitCode };
}

function collapse(): boolean {
  const [a, b] = sides!;
  return a.memberId.toString(16).length !== b.memberId.toString(16).length;
}

before(async () => {
  requireOracleBinaries();
  const command = await tetcdctlCommand(bundleDir);
  const [a, b] = await Promise.all([makeSide('etcdctl', [ETCDCTL_BIN]), makeSide('tetcdctl', command)]);
  sides = [a, b];
});

after(async () => {
  if (sides !== undefined) await Promise.all(sides.map((s) => s.server.cleanup()));
  rmSync(bundleDir, { recursive: true, force: true });
});

test('tetcdctl matches etcdctl 3.4 byte for byte', async () => {
  assert.ok(sides !== undefined, 'servers started');
  const failures: string[] = [];
  // GOLDEN_FILTER=text runs only matching cases (both sides replay the same subset, so states agree).
  const filter = process.env['GOLDEN_FILTER'] ?? '';
  const cases = GOLDEN_CASES.filter((c) => c.name.includes(filter));
  for (const c of cases) {
    const [expected, actual] = await Promise.all([runCase(c, sides[0]), runCase(c, sides[1])]);
    const problems: string[] = [];
    if (expected.code !== actual.code) problems.push(`exit code: etcdctl ${expected.code}, tetcdctl ${actual.code}`);
    const outDiff = lineDiff(expected.out, actual.out, 'etcdctl', 'tetcdctl');
    if (outDiff !== '') problems.push(`stdout:\n${outDiff}`);
    const errDiff = lineDiff(expected.err, actual.err, 'etcdctl', 'tetcdctl');
    if (errDiff !== '') problems.push(`stderr:\n${errDiff}`);
    if (problems.length > 0) failures.push(`## ${c.name}\n${problems.join('\n')}`);
  }
  assert.equal(failures.length, 0, `${failures.length} of ${cases.length} cases differ:\n${failures.join('\n\n')}`);
});
