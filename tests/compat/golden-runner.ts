/**
 * The golden comparison shared by the golden test files: two fresh real etcd 3.4 servers, one driven
 * by /usr/bin/etcdctl and one by tetcdctl with the same case sequence; stdout, stderr and exit codes
 * must match after normalise(). GOLDEN_FILTER=text runs a subset.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ETCDCTL_BIN, REPO_ROOT, requireOracleBinaries } from '../helpers/binaries.js';
import { lineDiff } from '../helpers/diff.js';
import { ServerProcess } from '../helpers/server.js';
import type { GoldenCase } from './golden-cases.js';
import { canonicalProtobuf } from './golden-protobuf.js';
import { normalise, runTool, tetcdctlCommand } from './golden-support.js';
import type { Side } from './golden-support.js';

/** A started pair of sides; `close()` stops the servers and removes the bundle. */
export interface GoldenPair { sides: [Side, Side]; close(): Promise<void> }

async function makeSide(label: string, command: readonly string[], extraArgs: readonly string[]): Promise<Side> {
  const server = await ServerProcess.start({ kind: 'etcd', name: 'default', extraArgs });
  const status = await runTool([ETCDCTL_BIN], ['endpoint', 'status', '-w', 'json'], server.endpoint);
  const header = /"cluster_id":(\d+),"member_id":(\d+)/.exec(status.stdout.toString());
  if (header === null) throw new Error(`cannot read ids of ${label}'s etcd: ${status.stderr}`);
  return { label, server, command, clusterId: BigInt(header[1]!), memberId: BigInt(header[2]!), leases: [],
    addedMembers: [] };
}

/** Starts both servers (etcdctl side first in the tuple). Throws when etcd/etcdctl are missing. */
export async function startPair(extraArgs: readonly string[] = []): Promise<GoldenPair> {
  requireOracleBinaries();
  // Inside the repository so the bundle's external packages (lmdb) resolve from node_modules.
  const cacheDir = join(REPO_ROOT, 'node_modules', '.cache');
  mkdirSync(cacheDir, { recursive: true });
  const bundleDir = mkdtempSync(join(cacheDir, 'tetcdctl-golden-'));
  const command = await tetcdctlCommand(bundleDir);
  const [a, b] = await Promise.all([makeSide('etcdctl', [ETCDCTL_BIN], extraArgs),
    makeSide('tetcdctl', command, extraArgs)]);
  return {
    sides: [a, b],
    close: async () => {
      await Promise.all([a, b].map((s) => s.server.cleanup()));
      rmSync(bundleDir, { recursive: true, force: true });
    },
  };
}

/** Lease ids differ between servers: list them (ascending = grant order) after each grant. */
async function learnLeases(side: Side): Promise<void> {
  const list = await runTool([ETCDCTL_BIN], ['lease', 'list', '-w', 'json'], side.server.endpoint);
  const ids = [...list.stdout.toString().matchAll(/"id":(\d+)/g)].map((m) => BigInt(m[1]!));
  side.leases = ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function learnFromOutput(c: GoldenCase, side: Side, stdout: string): void {
  if (c.learnMember === true) {
    const hex = /^Member +([0-9a-f]+) added/m.exec(stdout)?.[1];
    const decimal = /"member":\{"ID":(\d+)/.exec(stdout)?.[1];
    if (hex !== undefined) side.addedMembers!.push(BigInt(`0x${hex}`));
    else if (decimal !== undefined) side.addedMembers!.push(BigInt(decimal));
  }
  if (c.learnRevision === true) {
    const rev = /"revision":(\d+)/.exec(stdout)?.[1];
    if (rev !== undefined) side.revision = Number(rev);
  }
}

async function runCase(c: GoldenCase, side: Side, collapse: boolean):
  Promise<{ out: string; err: string; code: number }> {
  const args = typeof c.args === 'function' ? c.args(side) : c.args;
  const endpoint = side.server.endpoint;
  const result = await runTool(side.command, args, endpoint,
    { ...(c.stdin !== undefined ? { stdin: c.stdin } : {}), withEndpointEnv: c.noEndpointEnv !== true,
      ...(c.env !== undefined ? { env: c.env } : {}) });
  const raw = c.protobuf !== undefined && result.exitCode === 0
    ? canonicalProtobuf(c.protobuf, result.stdout, side) : result.stdout.toString('latin1');
  if (c.name.startsWith('lease grant')) await learnLeases(side);
  learnFromOutput(c, side, result.stdout.toString('utf8'));
  const options = { ttl: c.ttl === true, collapseTables: collapse || c.dbSize === true, dbSize: c.dbSize === true };
  return { out: normalise(raw, side, options), err: normalise(result.stderr, side, options), code: result.exitCode };
}

/** Runs `cases` on both sides in order; returns one report per differing case (empty when all match). */
export async function compareCases(pair: GoldenPair, cases: readonly GoldenCase[]): Promise<string[]> {
  const [a, b] = pair.sides;
  const collapse = a.memberId.toString(16).length !== b.memberId.toString(16).length;
  const filter = process.env['GOLDEN_FILTER'] ?? '';
  const failures: string[] = [];
  for (const c of cases.filter((x) => x.name.includes(filter))) {
    const [expected, actual] = await Promise.all([runCase(c, a, collapse), runCase(c, b, collapse)]);
    const problems: string[] = [];
    if (expected.code !== actual.code) problems.push(`exit code: etcdctl ${expected.code}, tetcdctl ${actual.code}`);
    const outDiff = lineDiff(expected.out, actual.out, 'etcdctl', 'tetcdctl');
    if (outDiff !== '') problems.push(`stdout:\n${outDiff}`);
    const errDiff = lineDiff(expected.err, actual.err, 'etcdctl', 'tetcdctl');
    if (errDiff !== '') problems.push(`stderr:\n${errDiff}`);
    if (problems.length > 0) failures.push(`## ${c.name}\n${problems.join('\n')}`);
  }
  return failures;
}
