import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { intInRange, registerBenchmarkCommand } from './command.js';

function program(): Command {
  const root = new Command('tetcd').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerBenchmarkCommand(root);
  for (const command of root.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return root;
}

test('benchmark has etcd subcommands and flag defaults', () => {
  const benchmark = program().commands.find((c) => c.name() === 'benchmark')!;
  assert.deepEqual(benchmark.commands.map((c) => c.name()), ['put', 'range', 'txn-put']);
  assert.deepEqual(benchmark.opts(), { endpoints: '127.0.0.1:2379', conns: 1, clients: 1, total: 10_000, rate: 0,
    keySize: 8, valSize: 8, keySpaceSize: 1, sequentialKeys: false, dialTimeout: 5_000, json: false });
});

test('integer flags are range-checked', () => {
  const parse = intInRange(1, 10);
  assert.equal(parse('7'), 7);
  assert.throws(() => parse('0'), /between 1 and 10/);
  assert.throws(() => parse('x'), /not an integer/);
  assert.throws(() => parse('1.5'), /not an integer/);
});

test('bad flags and unreachable endpoints are reported', async () => {
  await assert.rejects(program().parseAsync(['benchmark', '--clients', '0', 'put'], { from: 'user' }),
    /between 1 and/);
  await assert.rejects(program().parseAsync(['benchmark', 'range', 'k', '--consistency', 'x'], { from: 'user' }),
    /consistency must be l or s/);
  await assert.rejects(program().parseAsync(['benchmark', '--endpoints', '127.0.0.1:1', '--dial-timeout', '200',
    'put', '--total', '1'], { from: 'user' }), /no endpoint ready within 200 ms/);
});
