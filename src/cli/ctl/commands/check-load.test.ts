import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CtlExit } from '../errors.js';
import { LatencyReport, loadModel, prefixEnd, putVarint, randomKey } from './check-load.js';
import { ProgressBar, timeLeftText } from './check-progress.js';
import { perfDurationS, PERF_DURATION_ENV } from './check-perf.js';

test('loadModel accepts etcdctl spellings and rejects others with exit 4', () => {
  assert.deepEqual(['s', 'small', 'm', 'medium', 'l', 'large', 'xl', 'xLarge'].map(loadModel),
    ['s', 's', 'm', 'm', 'l', 'l', 'xl', 'xl']);
  assert.throws(() => loadModel('XL'), (e: unknown) => e instanceof CtlExit && e.code === 4 &&
    e.text === 'unknown load option XL');
});

test('putVarint is Go binary.PutVarint (zigzag)', () => {
  const b = new Uint8Array(10);
  putVarint(b, 1n);
  assert.deepEqual([...b.subarray(0, 1)], [2]);
  putVarint(b, 300n);
  assert.deepEqual([...b.subarray(0, 2)], [0xd8, 0x04]);
  putVarint(b, (1n << 62n));
  assert.deepEqual([...b.subarray(0, 9)], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]);
  const key = randomKey(new TextEncoder().encode('/p/'), 256);
  assert.equal(key.length, 259);
});

test('prefixEnd is clientv3 GetPrefixRangeEnd', () => {
  assert.deepEqual([...prefixEnd(new TextEncoder().encode('ab'))], [0x61, 0x63]);
  assert.deepEqual([...prefixEnd(Uint8Array.of(0x61, 0xff))], [0x62]);
  assert.deepEqual([...prefixEnd(Uint8Array.of(0xff))], [0]);
});

test('LatencyReport counts errors by message and computes population stddev', () => {
  const r = new LatencyReport();
  const now = process.hrtime.bigint();
  r.record(now, undefined);
  r.record(now, new Error('boom'));
  r.record(now, new Error('boom'));
  const s = r.stats();
  assert.equal(s.count, 1);
  assert.equal(s.errors.get('boom'), 2);
  assert.equal(s.stddevS, 0);
  assert.ok(s.slowestS >= 0);
});

test('progress line: pb v1 counters, percent, time left and final elapsed time', () => {
  assert.equal(timeLeftText(59_400), '00m59s');
  assert.equal(timeLeftText(3_723_000), '01h02m03s');
  let out = '';
  const bar = new ProgressBar(60, (t) => { out += t; }, undefined);
  bar.finish();
  assert.match(out, /^\r 0 \/ 60 {4}0\.00% 0s\n$/);
  out = '';
  const full = new ProgressBar(2, (t) => { out += t; }, 40);
  full.add(2);
  full.finish();
  assert.equal(out, `\r 2 / 2 B${'o'.repeat(20)}! 100.00% 0s\n`, 'the bar fills the terminal width');
});

test('TETCDCTL_CHECK_PERF_DURATION_S overrides the run length and is validated', () => {
  const load = { writesPerS: 150, clients: 50, durationS: 60 };
  assert.equal(perfDurationS(load, {}), 60);
  assert.equal(perfDurationS(load, { [PERF_DURATION_ENV]: '3' }), 3);
  assert.throws(() => perfDurationS(load, { [PERF_DURATION_ENV]: '0.5' }), CtlExit);
});
