/**
 * Self-tests of the e2e harness (no servers): the normaliser keeps everything but server-specific
 * values byte-exact, the diff reports differences, ports are never handed out twice.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lineDiff } from '../helpers/diff.js';
import { normaliseOutput } from '../helpers/normalise.js';
import { allocatePort } from '../helpers/ports.js';

test('normaliser replaces ids, terms, timestamps, client ids and endpoints only', () => {
  const json = '{"header":{"cluster_id":14841639068965178418,"member_id":10276657743932975437,' +
    '"revision":7,"raft_term":3},"kvs":[{"key":"Zm9v","create_revision":2}]}\n';
  assert.equal(normaliseOutput(json),
    '{"header":{"cluster_id":<cluster_id>,"member_id":<member_id>,"revision":7,"raft_term":<raft_term>},' +
    '"kvs":[{"key":"Zm9v","create_revision":2}]}\n');
  const fields = '"ClusterID" : 1\n"MemberID" : 22\n"Revision" : 7\n"RaftTerm" : 2\n"Key" : "k"\n';
  assert.equal(normaliseOutput(fields),
    '"ClusterID" : <ClusterID>\n"MemberID" : <MemberID>\n"Revision" : 7\n"RaftTerm" : <RaftTerm>\n"Key" : "k"\n');
  const warn = '{"level":"warn","ts":"2026-11-22T16:20:11.845Z","target":"endpoint://client-d055017f-e422/' +
    '127.0.0.1:23791","attempt":0}';
  assert.equal(normaliseOutput(warn, { endpoints: ['127.0.0.1:23791'] }),
    '{"level":"warn","ts":"<ts>","target":"endpoint://client-<id>/<endpoint>","attempt":0}');
  assert.equal(normaliseOutput('127.0.0.1:2379 is healthy: successfully committed proposal: took = 1.52ms\n',
    { endpoints: ['127.0.0.1:2379'] }), '<endpoint> is healthy: successfully committed proposal: took = <duration>\n');
  const untouched = 'e2e/kv/a\n1\n"Revision" : 12\ntook the 5s key\n';
  assert.equal(normaliseOutput(untouched), untouched);
});

test('lineDiff is empty for equal text and marks differing lines', () => {
  assert.equal(lineDiff('a\nb\n', 'a\nb\n'), '');
  const diff = lineDiff('a\nb\nc', 'a\nx\nc');
  assert.match(diff, /^--- oracle\n\+\+\+ subject\n/);
  assert.match(diff, /\n- b\n/);
  assert.match(diff, /\n\+ x\n/);
  assert.match(diff, /\n {2}c$/);
});

test('allocatePort hands out distinct ports', async () => {
  const ports = await Promise.all(Array.from({ length: 20 }, () => allocatePort()));
  assert.equal(new Set(ports).size, ports.length);
  for (const port of ports) assert.ok(port > 0 && port < 65536);
});
