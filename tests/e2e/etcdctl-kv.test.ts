/**
 * etcdctl oracle test: the same etcdctl command sequence runs against real etcd and against the
 * subject (tetcd, or etcd when E2E_SUBJECT=etcd); normalised stdout, stderr and exit code must match.
 * Groups share the two servers and run in order; each group uses its own key prefix.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Limits } from '../../src/base/limits.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { compareEtcdctl, startOraclePair, stopOraclePair, type OraclePair } from '../helpers/oracle.js';

interface Step {
  args: string[];
  stdin?: string | Buffer;
}

let pair: OraclePair | undefined;

before(async () => {
  pair = await startOraclePair();
});

after(async () => {
  await stopOraclePair(pair);
});

/** Runs every step on both servers; fails listing every mismatching step with its diff. */
async function runSteps(steps: readonly Step[]): Promise<void> {
  assert.ok(pair !== undefined, 'servers did not start (see the before hook failure)');
  const mismatches: string[] = [];
  for (const step of steps) {
    const options = step.stdin === undefined ? {} : { stdin: step.stdin };
    const { mismatch, oracle } = await compareEtcdctl(pair, step.args, options);
    if (process.env['E2E_VERBOSE'] === '1') {
      console.log(`$ etcdctl ${step.args.join(' ')}\n${oracle.stdout.slice(0, 2000)}${oracle.stderr}(exit ${oracle.exitCode})`);
    }
    if (mismatch !== undefined) mismatches.push(mismatch);
  }
  assert.equal(mismatches.length, 0,
    `${mismatches.length} of ${steps.length} etcdctl commands differ from etcd:\n\n${mismatches.join('\n\n')}`);
}

/** The oracle's current store revision (read from `get -w json`). */
async function oracleRevision(): Promise<number> {
  assert.ok(pair !== undefined);
  const result = await runEtcdctl(pair.oracle.endpoint, ['get', 'e2e/none', '-w', 'json']);
  const match = /"revision":(\d+)/.exec(result.stdout);
  assert.ok(match?.[1] !== undefined, `no revision in ${result.stdout}${result.stderr}`);
  return Number(match[1]);
}

const cmd = (...args: string[]): Step => ({ args });
/** One txn section on etcdctl's stdin: one line per entry, then an empty line. */
const section = (lines: readonly string[]): string => lines.map((line) => `${line}\n`).join('') + '\n';
const txn = (compares: string[], success: string[], failure: string[], ...flags: string[]): Step =>
  ({ args: ['txn', ...flags], stdin: section(compares) + section(success) + section(failure) });

test('put and get', async () => {
  const p = 'e2e/kv/';
  await runSteps([
    cmd('put', `${p}a`, '1'), cmd('put', `${p}b`, '2'), cmd('put', `${p}c`, '3'), cmd('put', `${p}c`, '33'),
    cmd('put', `${p}d`, '4', '--prev-kv'), cmd('put', `${p}d`, '44', '--prev-kv', '-w', 'json'),
    cmd('put', `${p}e`, '5', '-w', 'fields'), cmd('put', `${p}f`, '6', '-w', 'simple'),
    cmd('put', `${p}f`, '66', '--prev-kv', '-w', 'fields'), cmd('put', '--', `${p}g`, '-dash'),
    cmd('put', `${p}h`, 'with space\nand newline'), cmd('put', `${p}b`, '--ignore-value'),
    cmd('put', `${p}i`, '--ignore-value'), cmd('put', `${p}j`, 'x', '-w', 'table'),
    cmd('put', 'e2e/kw', 'after-prefix'), cmd('put', `${p}ü`, 'ünïcode'),
    cmd('get', `${p}a`), cmd('get', `${p}missing`), cmd('get', `${p}c`, '-w', 'json'),
    cmd('get', `${p}c`, '-w', 'fields'), cmd('get', `${p}c`, '-w', 'simple'), cmd('get', `${p}c`, '-w', 'table'),
    cmd('get', `${p}missing`, '-w', 'json'), cmd('get', `${p}missing`, '-w', 'fields'),
    cmd('get', p, '--prefix'), cmd('get', p, '--prefix', '-w', 'json'), cmd('get', p, '--prefix', '-w', 'fields'),
    cmd('get', `${p}c`, '--from-key'), cmd('get', `${p}c`, '--from-key', '--limit=3', '-w', 'json'),
    cmd('get', p, '--prefix', '--limit=2'), cmd('get', p, '--prefix', '--limit=2', '-w', 'fields'),
    cmd('get', `${p}b`, `${p}e`), cmd('get', `${p}b`, `${p}e`, '-w', 'json'),
    cmd('get', p, '--prefix', '--keys-only'), cmd('get', p, '--prefix', '--keys-only', '-w', 'json'),
    cmd('get', p, '--prefix', '--print-value-only'), cmd('get', `${p}h`, '--print-value-only'),
    cmd('get', p, '--prefix', '--hex'), cmd('get', `${p}c`, '--consistency=s'),
    ...['KEY', 'CREATE', 'MODIFY', 'VERSION', 'VALUE'].flatMap((target) => ['ASCEND', 'DESCEND'].map(
      (order) => cmd('get', p, '--prefix', `--sort-by=${target}`, `--order=${order}`, '--keys-only'))),
    cmd('get', p, '--prefix', '--order=DESCEND'), cmd('get', p, '--prefix', '--sort-by=MODIFY', '-w', 'json'),
    cmd('get', p, '--prefix', '--sort-by=VALUE', '--order=DESCEND', '--limit=3', '-w', 'json'),
    cmd('get', p, '--prefix', '--sort-by=BOGUS'), cmd('get', p, '--prefix', '--order=SIDEWAYS'),
  ]);
});

test('get at a revision', async () => {
  const p = 'e2e/rev/';
  await runSteps([cmd('put', `${p}k`, 'v1'), cmd('put', `${p}k`, 'v2'), cmd('put', `${p}l`, 'w1')]);
  const rev = await oracleRevision();
  await runSteps([
    cmd('get', `${p}k`, `--rev=${rev - 2}`), cmd('get', `${p}k`, `--rev=${rev - 1}`, '-w', 'json'),
    cmd('get', p, '--prefix', `--rev=${rev - 2}`, '-w', 'fields'), cmd('get', p, '--prefix', `--rev=${rev}`),
    cmd('get', `${p}k`, `--rev=${rev + 1000}`), cmd('get', `${p}k`, '--rev=-1'),
  ]);
});

test('delete', async () => {
  const p = 'e2e/del/';
  const puts = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((k) => cmd('put', `${p}${k}`, `val-${k}`));
  await runSteps([
    ...puts, cmd('del', `${p}a`), cmd('del', `${p}a`), cmd('del', `${p}b`, '--prev-kv'),
    cmd('del', `${p}missing`, '-w', 'json'), cmd('del', `${p}c`, '--prev-kv', '-w', 'json'),
    cmd('del', `${p}d`, `${p}f`, '--prev-kv', '-w', 'fields'), cmd('del', `${p}g`, '--from-key', '--prev-kv'),
    cmd('get', p, '--prefix', '-w', 'json'), ...puts, cmd('del', p, '--prefix', '-w', 'simple'),
    ...puts, cmd('del', p, '--prefix', '--prev-kv', '-w', 'json'), cmd('get', p, '--prefix', '-w', 'json'),
  ]);
});

test('txn from stdin', async () => {
  const p = 'e2e/txn/';
  const setup = [cmd('put', `${p}x`, '1'), cmd('put', `${p}x`, '2'), cmd('put', `${p}z1`, 'a'), cmd('put', `${p}z2`, 'b')];
  await runSteps(setup);
  const rev = await oracleRevision();
  await runSteps([
    txn([`value("${p}x") = "2"`], [`put ${p}y ok`, `get ${p}x`], [`put ${p}y fail`]),
    txn([`value("${p}x") = "2"`], [`put ${p}y ok2`, `get ${p}x`], [`put ${p}y fail2`], '-w', 'json'),
    txn([`value("${p}x") != "2"`], [`put ${p}y ok3`], [`put ${p}y fail3`, `get ${p}y`], '-w', 'json'),
    txn([`value("${p}x") > "1"`, `value("${p}x") < "3"`], [`get ${p}x`], [], '-w', 'json'),
    txn([`version("${p}x") = "2"`], [`del ${p}z1 --prev-kv`], [`put ${p}y no`], '-w', 'json'),
    txn([`version("${p}x") > "5"`], [`put ${p}y no`], [`get ${p}z --prefix`], '-w', 'fields'),
    txn([`create("${p}x") = "${rev - 3}"`, `mod("${p}x") = "${rev - 2}"`], [`get ${p}x`], [], '-w', 'json'),
    txn([`create("${p}x") > "0"`, `mod("${p}x") < "${rev - 2}"`], [`get ${p}x`], [`get ${p}y`], '-w', 'json'),
    txn([`version("${p}missing") = "0"`], [`put ${p}new 1`], []),
    txn([`value("${p}missing") = "x"`], [], [`put ${p}new2 1`], '-w', 'json'),
    txn([`mod("${p}missing") = "0"`, `create("${p}missing") = "0"`], [`get ${p}missing`], []),
    txn([], [`put ${p}w 1`, `put ${p}v 2`, `get ${p} --prefix --keys-only`], [], '-w', 'json'),
    txn([], [`put ${p}w 1`, `put ${p}v 2`], []),
    txn([], [`get ${p} --prefix --limit=2 --sort-by=key --order=descend`], [], '-w', 'json'),
    txn([], [`del ${p}w ${p}y --prev-kv`], [], '-w', 'json'),
    txn([], [`del ${p} --prefix`], [], '-w', 'json'),
    txn([], [`put ${p}dup 1`, `put ${p}dup 2`], []),
    txn([], [], [`put ${p}dup 1`, `del ${p}dup`]),
    txn(['bogus compare'], [], []),
    txn([], [`frobnicate ${p}k`], []),
    txn([], [], [], '-w', 'json'),
    cmd('get', p, '--prefix', '-w', 'json'),
  ]);
});

test('compaction', async () => {
  const p = 'e2e/compact/';
  await runSteps([cmd('put', `${p}k`, 'v1'), cmd('put', `${p}k`, 'v2'), cmd('put', `${p}k`, 'v3')]);
  const rev = await oracleRevision();
  await runSteps([
    cmd('compact', String(rev - 1)), cmd('get', `${p}k`, `--rev=${rev - 2}`),
    cmd('get', `${p}k`, `--rev=${rev - 2}`, '-w', 'json'), cmd('get', `${p}k`, `--rev=${rev - 1}`),
    cmd('get', `${p}k`, `--rev=${rev}`, '-w', 'json'), cmd('compact', String(rev - 2)),
    cmd('compact', String(rev - 1)), cmd('compact', String(rev + 100)), cmd('compact', String(rev), '--physical'),
    cmd('get', `${p}k`, `--rev=${rev - 1}`), cmd('get', `${p}k`, '-w', 'json'), cmd('compact', '0'),
  ]);
});

test('error cases', async () => {
  const p = 'e2e/err/';
  const manyPuts = (n: number): string[] => Array.from({ length: n }, (_, i) => `put ${p}op${i} v${i}`);
  const oversized = Buffer.alloc(Limits.requestBytesMax + 1024, 'x');
  await runSteps([
    cmd('put', '', 'v'), cmd('get', ''), cmd('del', ''), cmd('put', `${p}only-key`), cmd('get'),
    cmd('get', `${p}k`, '--rev=1000000'), cmd('get', `${p}k`, '--rev=1000000', '-w', 'json'),
    txn([], manyPuts(Limits.txnOpsMax + 1), []), txn([], [], manyPuts(Limits.txnOpsMax + 1)),
    txn([], manyPuts(Limits.txnOpsMax), [], '-w', 'json'), cmd('get', p, '--prefix', '--keys-only', '--limit=3'),
    { args: ['put', `${p}big`], stdin: oversized }, cmd('get', `${p}big`),
    { args: ['put', `${p}mib`], stdin: Buffer.alloc(1024 * 1024, 'y') }, cmd('get', `${p}mib`, '--keys-only'),
  ]);
});
