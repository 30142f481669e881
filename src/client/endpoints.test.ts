import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEndpoint, parseEndpointList } from './endpoints.js';

test('accepted endpoint forms', () => {
  assert.deepEqual(parseEndpoint('127.0.0.1:2379'),
    { host: '127.0.0.1', port: 2379, address: '127.0.0.1:2379', secure: false });
  assert.deepEqual(parseEndpoint('http://localhost:23790'),
    { host: 'localhost', port: 23790, address: 'localhost:23790', secure: false });
  assert.equal(parseEndpoint('https://etcd.example:2379/').secure, true);
  assert.equal(parseEndpoint('[::1]:2379').address, '[::1]:2379');
});

test('rejected endpoint forms', () => {
  for (const bad of ['', '127.0.0.1', 'http://x', 'x:0', 'x:70000', 'ftp://x:1', 'a b:1', 'http://x:1/path']) {
    assert.throws(() => parseEndpoint(bad), RangeError, bad);
  }
});

test('lists', () => {
  assert.deepEqual(parseEndpointList('a:1, http://b:2,,').map((e) => e.address), ['a:1', 'b:2']);
  assert.throws(() => parseEndpointList(' , '), /no endpoints/);
});
