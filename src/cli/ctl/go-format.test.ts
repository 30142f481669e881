import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  goDuration, goFixed, goJsonString, goQuote, humanizeBytes, parseGoBool, parseGoDurationMs, parseGoInt,
} from './go-format.js';

test('goQuote matches strconv.Quote', () => {
  assert.equal(goQuote('foo'), '"foo"');
  assert.equal(goQuote('h\u00e9llo\t"q"\\'), '"h\u00e9llo\\t\\"q\\"\\\\"');
  assert.equal(goQuote(new Uint8Array([0x00, 0x7f, 0xff, 0x41])), '"\\x00\\x7f\\xffA"');
  assert.equal(goQuote('\u00a0'), '"\\u00a0"');
  assert.equal(goQuote('\n\r\u0007'), '"\\n\\r\\a"');
  assert.equal(goQuote(new Uint8Array([0xe2, 0x82, 0xac])), '"\u20ac"');
  assert.equal(goQuote(new Uint8Array([0xe2, 0x82])), '"\\xe2\\x82"');
});

test('goDuration matches time.Duration.String', () => {
  assert.equal(goDuration(0n), '0s');
  assert.equal(goDuration(999n), '999ns');
  assert.equal(goDuration(1_500n), '1.5µs');
  assert.equal(goDuration(3_166_801n), '3.166801ms');
  assert.equal(goDuration(5_000_766_308n), '5.000766308s');
  assert.equal(goDuration(2_000_000_000n), '2s');
  assert.equal(goDuration(61_000_000_000n), '1m1s');
  assert.equal(goDuration(3_723_500_000_000n), '1h2m3.5s');
  assert.equal(goDuration(-1_000n), '-1µs');
});

test('parseGoDurationMs accepts Go durations and reports Go errors', () => {
  assert.equal(parseGoDurationMs('2s'), 2000);
  assert.equal(parseGoDurationMs('1m30s'), 90_000);
  assert.equal(parseGoDurationMs('1.5s'), 1500);
  assert.equal(parseGoDurationMs('500ms'), 500);
  assert.equal(parseGoDurationMs('0'), 0);
  assert.throws(() => parseGoDurationMs('abc'), { message: 'time: invalid duration "abc"' });
  assert.throws(() => parseGoDurationMs('5'), { message: 'time: missing unit in duration "5"' });
  assert.throws(() => parseGoDurationMs('5x'), { message: 'time: unknown unit "x" in duration "5x"' });
});

test('parseGoInt and parseGoBool mirror strconv', () => {
  assert.equal(parseGoInt('-12'), -12n);
  assert.equal(parseGoInt('7fffffffffffffff', 16), 0x7fffffffffffffffn);
  assert.throws(() => parseGoInt('8000000000000000', 16), { message: 'strconv.ParseInt: parsing "8000000000000000": value out of range' });
  assert.throws(() => parseGoInt('abc'), { message: 'strconv.ParseInt: parsing "abc": invalid syntax' });
  assert.equal(parseGoBool('T'), true);
  assert.equal(parseGoBool('0'), false);
  assert.throws(() => parseGoBool('yes'), { message: 'strconv.ParseBool: parsing "yes": invalid syntax' });
});

test('humanizeBytes matches go-humanize SI sizes (round half to even)', () => {
  assert.equal(humanizeBytes(0), '0 B');
  assert.equal(humanizeBytes(9), '9 B');
  assert.equal(humanizeBytes(20480), '20 kB');
  assert.equal(humanizeBytes(25000), '25 kB');
  assert.equal(humanizeBytes(2_100_000), '2.1 MB');
  assert.equal(humanizeBytes(2_147_483_648), '2.1 GB');
  assert.equal(goFixed(20.5, 0), '20');
  assert.equal(goFixed(21.5, 0), '22');
});

test('goJsonString escapes like encoding/json', () => {
  assert.equal(goJsonString('a"b\\<&>\u2028\u0001'), '"a\\"b\\\\\\u003c\\u0026\\u003e\\u2028\\u0001"');
});
