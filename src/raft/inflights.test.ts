import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssertionError } from '../base/assert.js';
import { Inflights } from './inflights.js';

test('inflights add, free and wrap around', () => {
  const inflights = new Inflights(3);
  inflights.add(1);
  inflights.add(2);
  inflights.add(3);
  assert.ok(inflights.full());
  assert.throws(() => inflights.add(4), AssertionError);
  inflights.freeLE(1);
  assert.equal(inflights.count, 2);
  inflights.add(4); // wraps to the first slot
  inflights.freeLE(3);
  assert.equal(inflights.count, 1);
  inflights.freeFirstOne();
  assert.equal(inflights.count, 0);
  inflights.freeFirstOne();
  assert.equal(inflights.count, 0);
});

test('inflights reject non-increasing indexes and free nothing below the oldest', () => {
  const inflights = new Inflights(4);
  inflights.add(5);
  assert.throws(() => inflights.add(5), AssertionError);
  inflights.freeLE(4);
  assert.equal(inflights.count, 1);
  inflights.reset();
  assert.equal(inflights.count, 0);
  assert.throws(() => new Inflights(0), AssertionError);
});
