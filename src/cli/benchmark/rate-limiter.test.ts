import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from './rate-limiter.js';

test('rate 0 never delays', () => {
  const limiter = new RateLimiter(0, () => 0);
  for (let i = 0; i < 100; i++) assert.equal(limiter.reserveDelayMs(), 0);
});

test('slots are evenly spaced at 1000/rate ms', () => {
  let nowMs = 1000;
  const limiter = new RateLimiter(100, () => nowMs); // 10 ms apart
  assert.deepEqual([0, 1, 2, 3].map(() => limiter.reserveDelayMs()), [0, 10, 20, 30]);
  nowMs += 25; // slots at 1040 remains ahead of 1025
  assert.equal(limiter.reserveDelayMs(), 15);
});

test('missed slots are not banked into a burst', () => {
  let nowMs = 0;
  const limiter = new RateLimiter(10, () => nowMs); // 100 ms apart
  assert.equal(limiter.reserveDelayMs(), 0);
  nowMs = 10_000; // idle for a long time
  assert.equal(limiter.reserveDelayMs(), 0);
  assert.equal(limiter.reserveDelayMs(), 100);
});

test('bad rates are rejected', () => {
  assert.throws(() => new RateLimiter(-1), /bad rate/);
  assert.throws(() => new RateLimiter(Number.NaN), /bad rate/);
  assert.throws(() => new RateLimiter(1e12), /rate above/);
});
