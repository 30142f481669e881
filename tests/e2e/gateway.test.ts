/**
 * The JSON gateway (`POST /v3/...`) against real etcd 3.4's grpc-gateway: the requests of etcd's
 * gateway documentation (put, range, txn, deleterange, lease grant/keepalive/timetolive/leases/revoke,
 * watch streaming, status, member list, errors) go to both servers with fetch, and the JSON answers
 * must be equal after normalisation: cluster/member ids, raft terms, lease ids (numbered in order of
 * appearance per server), URLs, member names and the backend file hash differ between two servers by nature; everything else is compared
 * as is, including HTTP status codes and error bodies.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startOraclePair, stopOraclePair, type OraclePair } from '../helpers/oracle.js';
import { lineDiff } from '../helpers/diff.js';
import type { ServerProcess } from '../helpers/server.js';

let pair: OraclePair | undefined;
before(async () => { pair = await startOraclePair(); });
after(async () => { await stopOraclePair(pair); });

/** Per-server memory of lease ids, so `<lease-N>` can be turned back into that server's own id. */
interface Side { server: ServerProcess; leases: string[] }

const ID_FIELDS = /"(cluster_id|member_id|ID|leader|raft_term|raftTerm|memberID)":"?(\d+)"?/g;

function normalise(side: Side, text: string): string {
  return text
    .replace(/"ID":"(\d+)","TTL"/g, (whole, id: string) => { learn(side, id); return whole; })
    .replace(ID_FIELDS, (_whole, field: string, value: string) => {
      const lease = side.leases.indexOf(value);
      if (field === 'ID' && lease >= 0) return `"ID":"<lease-${lease}>"`;
      return `"${field}":"<${field}>"`;
    })
    .replace(/"lease":"(\d+)"/g, (_w, id: string) => `"lease":"<lease-${side.leases.indexOf(id)}>"`)
    .replace(/http:\/\/127\.0\.0\.1:\d+/g, '<url>')
    .replace(/"(dbSize|dbSizeInUse|raftIndex|raftAppliedIndex)":"\d+"/g, '"$1":"<n>"')
    .replace(/"(version)":"3\.\d+\.\d+"/g, '"$1":"<version>"')
    .replace(/"name":"(oracle|subject)"/g, '"name":"<name>"')
    // Maintenance.Hash hashes the backend file (bbolt vs LMDB): compared for shape only.
    .replace(/"hash":\d+/g, '"hash":<hash>');
}

function learn(side: Side, id: string): void {
  if (!side.leases.includes(id)) side.leases.push(id);
}

interface Reply { status: number; body: string }

async function post(side: Side, path: string, body: string): Promise<Reply> {
  const real = body.replace(/<lease-(\d+)>/g, (_w, n: string) => side.leases[Number(n)] ?? '0');
  const response = await fetch(`${side.server.clientUrl}${path}`, { method: 'POST', body: real });
  return { status: response.status, body: normalise(side, (await response.text()).trim()) };
}

/** Streams `path` until `lines` JSON lines arrived (or the stream ended), running `during` after the first. */
async function stream(side: Side, path: string, body: string, lines: number,
  during: () => Promise<unknown> = () => Promise.resolve()): Promise<string[]> {
  const controller = new AbortController();
  const response = await fetch(`${side.server.clientUrl}${path}`, { method: 'POST', body, signal: controller.signal });
  const out: string[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let started = false;
  while (out.length < lines) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      out.push(normalise(side, buffer.slice(0, newline)));
      buffer = buffer.slice(newline + 1);
    }
    if (!started && out.length > 0) { started = true; await during(); }
  }
  controller.abort();
  return out;
}

function sides(): [Side, Side] {
  assert.ok(pair !== undefined);
  return [{ server: pair.oracle, leases: [] }, { server: pair.subject, leases: [] }];
}

const STEPS: ReadonlyArray<readonly [string, string]> = [
  ['/v3/kv/put', '{"key":"Zm9v","value":"YmFy"}'],
  ['/v3/kv/range', '{"key":"Zm9v"}'],
  ['/v3/kv/range', '{"key":"bm9uZQ=="}'],
  ['/v3/kv/put', '{"key":"Zm9v","value":"YmF6","prev_kv":true}'],
  ['/v3/kv/range', '{"key":"AA==","range_end":"AA==","sort_order":"DESCEND","limit":"5","keys_only":true}'],
  ['/v3/kv/txn', '{"compare":[{"target":"CREATE","key":"Zm9v","createRevision":"2"}],"success":[{"requestPut":{"key":"Zm9v","value":"YmFy"}}],"failure":[{"requestRange":{"key":"Zm9v"}}]}'],
  ['/v3/kv/txn', '{"compare":[{"target":"VALUE","result":"EQUAL","key":"Zm9v","value":"YmF6"}],"success":[{"request_put":{"key":"Zm9v","value":"cXV4"}},{"request_delete_range":{"key":"bm9uZQ=="}}]}'],
  ['/v3/lease/grant', '{"TTL":60}'],
  ['/v3/kv/put', '{"key":"bGVhc2Vk","value":"dg==","lease":"<lease-0>"}'],
  ['/v3/lease/timetolive', '{"ID":"<lease-0>","keys":true}'],
  ['/v3/lease/leases', '{}'],
  ['/v3/lease/revoke', '{"ID":"<lease-0>"}'],
  ['/v3/lease/revoke', '{"ID":"<lease-0>"}'],
  ['/v3/kv/deleterange', '{"key":"Zm9v","prev_kv":true}'],
  ['/v3/kv/range', '{"key":"Zm9v","revision":"100"}'],
  ['/v3/kv/range', '{"key":"Zm9v","sort_order":"BOGUS"}'],
  ['/v3/kv/range', '{"key":"!!"}'],
  ['/v3/kv/compaction', '{"revision":"3"}'],
  ['/v3/kv/range', '{"key":"Zm9v","revision":"2"}'],
  ['/v3/cluster/member/list', '{}'],
  ['/v3/maintenance/hash', '{}'],
  ['/v3/nope', '{}'],
];

test('unary gateway calls answer as etcd 3.4\'s gateway', async () => {
  const [oracle, subject] = sides();
  const mismatches: string[] = [];
  for (const [path, body] of STEPS) {
    const [expected, actual] = [await post(oracle, path, body), await post(subject, path, body)];
    const diff = lineDiff(`${expected.status} ${expected.body}`, `${actual.status} ${actual.body}`, 'etcd', 'tetcd');
    if (diff !== '') mismatches.push(`POST ${path} ${body}\n${diff}`);
  }
  assert.equal(mismatches.join('\n\n'), '');
});

test('status answers with etcd\'s field names (values differ by nature)', async () => {
  const [oracle, subject] = sides();
  const keys = (text: string): string[] => Object.keys(JSON.parse(text) as object).sort();
  const [expected, actual] = [await post(oracle, '/v3/maintenance/status', '{}'),
    await post(subject, '/v3/maintenance/status', '{}')];
  // tetcd reports dbSizeQuota (an etcd 3.5 field etcd 3.4 does not have).
  assert.deepEqual(keys(actual.body).filter((k) => k !== 'dbSizeQuota'), keys(expected.body));
});

test('watch streams newline-delimited results, as etcd\'s gateway', async () => {
  const [oracle, subject] = sides();
  const run = (side: Side): Promise<string[]> => stream(side, '/v3/watch',
    '{"create_request":{"key":"d2F0Y2hlZA==","prev_kv":true}}', 3, async () => {
      await post(side, '/v3/kv/put', '{"key":"d2F0Y2hlZA==","value":"MQ=="}');
      await post(side, '/v3/kv/put', '{"key":"d2F0Y2hlZA==","value":"Mg=="}');
    });
  const [expected, actual] = [await run(oracle), await run(subject)];
  assert.equal(lineDiff(expected.join('\n'), actual.join('\n'), 'etcd', 'tetcd'), '');
});

test('lease keepalive streams one result per request and ends with the body', async () => {
  const [oracle, subject] = sides();
  const run = async (side: Side): Promise<string[]> => {
    await post(side, '/v3/lease/grant', '{"TTL":30}');
    const id = side.leases.at(-1)!;
    return stream(side, '/v3/lease/keepalive', `{"ID":"${id}"}`, 5);
  };
  const [expected, actual] = [await run(oracle), await run(subject)];
  assert.equal(expected.length, 1);
  assert.equal(lineDiff(expected.join('\n'), actual.join('\n'), 'etcd', 'tetcd'), '');
});
