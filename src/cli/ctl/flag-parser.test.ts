import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, parseFlags } from './flag-parser.js';
import type { FlagSpec } from './flag-parser.js';
import { alignColumns, flagUsages } from './help.js';

const SPECS: FlagSpec[] = [
  { name: 'prefix', kind: 'bool', defaultText: 'false', usage: 'p' },
  { name: 'limit', kind: 'int', defaultText: '0', usage: 'l' },
  { name: 'write-out', short: 'w', kind: 'string', defaultText: 'simple', usage: 'w' },
  { name: 'interactive', short: 'i', kind: 'bool', defaultText: 'false', usage: 'i' },
  { name: 'endpoints', kind: 'stringSlice', defaultText: '[127.0.0.1:2379]', usage: 'e' },
];

test('flags anywhere, all pflag spellings', () => {
  const { positional, values } = parseFlags(['a', '--prefix', '-w', 'json', 'b', '--limit=3', '-i'], SPECS);
  assert.deepEqual(positional, ['a', 'b']);
  assert.equal(values.bool('prefix'), true);
  assert.equal(values.string('write-out'), 'json');
  assert.equal(values.int('limit'), 3n);
  assert.equal(values.bool('interactive'), true);
  assert.equal(parseFlags(['-wfields'], SPECS).values.string('write-out'), 'fields');
  assert.equal(parseFlags(['-w=table'], SPECS).values.string('write-out'), 'table');
  assert.deepEqual(parseFlags(['--', '--prefix', '-x'], SPECS).positional, ['--prefix', '-x']);
  assert.deepEqual(parseFlags([], SPECS).values.list('endpoints'), ['127.0.0.1:2379']);
  assert.deepEqual(parseFlags(['--endpoints=a:1,b:2'], SPECS).values.list('endpoints'), ['a:1', 'b:2']);
});

test('errors carry pflag messages', () => {
  assert.throws(() => parseFlags(['--nope'], SPECS), new FlagError('unknown flag: --nope'));
  assert.throws(() => parseFlags(['-x'], SPECS), new FlagError("unknown shorthand flag: 'x' in -x"));
  assert.throws(() => parseFlags(['-w'], SPECS), new FlagError("flag needs an argument: 'w' in -w"));
  assert.throws(() => parseFlags(['--limit'], SPECS), new FlagError('flag needs an argument: --limit'));
  assert.throws(() => parseFlags(['--limit', 'x'], SPECS),
    new FlagError('invalid argument "x" for "--limit" flag: strconv.ParseInt: parsing "x": invalid syntax'));
  assert.throws(() => parseFlags(['--prefix=abc'], SPECS),
    new FlagError('invalid argument "abc" for "--prefix" flag: strconv.ParseBool: parsing "abc": invalid syntax'));
});

test('help columns align like Go tabwriter with tab padding', () => {
  assert.equal(alignColumns([['add', 'A'], ['promote', 'P']], '\t'), '\tadd\tA\n\tpromote\tP\n');
  assert.equal(flagUsages(SPECS.slice(0, 2)),
    '      --limit=0\t\tl\n      --prefix[=false]\tp\n');
});
