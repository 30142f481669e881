/**
 * Differential property test: random sequences of Put / Delete / Range / Txn / Compact run on real
 * etcd and on the subject through raw gRPC (etcd3's KVClient), and every canonicalised response
 * (kvs, count, more, run-relative revisions, error messages) must be equal. Each fast-check run uses
 * its own key prefix on the same two servers. Prints SEED=...; `SEED=n` replays a run sequence.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { lineDiff } from '../helpers/diff.js';
import { createKvClient, type KvTestClient } from '../helpers/grpc-client.js';
import { startOraclePair, stopOraclePair, type OraclePair } from '../helpers/oracle.js';
import { OPS_PER_RUN_MAX, RunFrame, kvOp, type KvOp } from './kv-ops.js';

/** fast-check runs (override with NUM_RUNS); sized so the file takes well under 60 s. */
const NUM_RUNS = Number(process.env['NUM_RUNS'] ?? 150);
/** Wall-time budget for running plus shrinking; past it fast-check stops and reports. */
const TIME_BUDGET_MS = 35_000;

const seed = process.env['SEED'] === undefined ? Math.floor(Math.random() * 0x7fffffff) : Number(process.env['SEED']);
/** FC_PATH (from a failure report) replays exactly the shrunk counterexample together with SEED. */
const replayPath = process.env['FC_PATH'];
console.log('SEED=' + seed);

let pair: OraclePair | undefined;
let oracleClient: KvTestClient | undefined;
let subjectClient: KvTestClient | undefined;
let runCounter = 0;

before(async () => {
  pair = await startOraclePair();
  oracleClient = createKvClient(pair.oracle.endpoint);
  subjectClient = createKvClient(pair.subject.endpoint);
});

after(async () => {
  oracleClient?.close();
  subjectClient?.close();
  await stopOraclePair(pair);
});

/** Executes one model op and returns its canonical response (or `{ error: message }`). */
async function execute(client: KvTestClient, frame: RunFrame, op: KvOp): Promise<unknown> {
  try {
    switch (op.kind) {
      case 'put': {
        const res = await client.kv.put(frame.put(op));
        return { rev: frame.header(res.header), prev: frame.optionalKv(res.prev_kv) };
      }
      case 'delete': {
        const res = await client.kv.deleteRange(frame.deleteRange(op));
        return { rev: frame.header(res.header), deleted: res.deleted, prev: res.prev_kvs.map((kv) => frame.kv(kv)) };
      }
      case 'range': {
        const res = await client.kv.range(frame.rangeRequest(op));
        return { rev: frame.header(res.header), ...frame.rangeBody(res, op) };
      }
      case 'txn': {
        const res = await client.kv.txn({
          compare: op.compares.map((c) => frame.compare(c)),
          success: op.success.map((r) => frame.requestOp(r)), failure: op.failure.map((r) => frame.requestOp(r)),
        });
        const branch = res.succeeded ? op.success : op.failure;
        return {
          rev: frame.header(res.header), succeeded: res.succeeded,
          responses: res.responses.map((r, i) => frame.responseOp(r, branch[i])),
        };
      }
      case 'compact': {
        const res = await client.kv.compact({ revision: frame.absRev(op.relRev) });
        return { rev: frame.header(res.header) };
      }
    }
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** The current store revision, read with a range on a key outside every run. */
async function currentRevision(client: KvTestClient): Promise<number> {
  const res = await client.kv.range({ key: Buffer.from('differential-probe') });
  return Number(res.header.revision);
}

async function runSequence(ops: readonly KvOp[]): Promise<void> {
  assert.ok(pair !== undefined && oracleClient !== undefined && subjectClient !== undefined, 'servers not started');
  runCounter += 1;
  const prefix = `diff/${seed}/${runCounter}/`;
  const [oracleBase, subjectBase] = await Promise.all([currentRevision(oracleClient), currentRevision(subjectClient)]);
  const oracleFrame = new RunFrame(prefix, oracleBase);
  const subjectFrame = new RunFrame(prefix, subjectBase);
  for (const [index, op] of ops.entries()) {
    const [expected, actual]: [unknown, unknown] = await Promise.all([
      execute(oracleClient, oracleFrame, op), execute(subjectClient, subjectFrame, op),
    ]);
    if (process.env['E2E_VERBOSE'] === '1') console.log(JSON.stringify(op), '=>', JSON.stringify(expected));
    if (isDeepStrictEqual(actual, expected)) continue;
    const diff = lineDiff(JSON.stringify(expected, null, 1), JSON.stringify(actual, null, 1));
    throw new Error(`op #${index} ${JSON.stringify(op)} (prefix ${prefix}) differs from etcd:\n${diff}`);
  }
}

test('random KV operation sequences match etcd', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(kvOp, { minLength: 4, maxLength: OPS_PER_RUN_MAX, size: 'max' }), runSequence),
    {
      seed, numRuns: NUM_RUNS, interruptAfterTimeLimit: TIME_BUDGET_MS, markInterruptAsFailure: false,
      includeErrorInReport: true, ...(replayPath === undefined ? {} : { path: replayPath }),
    },
  );
  console.log(`differential: ${runCounter} runs executed (NUM_RUNS=${NUM_RUNS}, budget ${TIME_BUDGET_MS} ms)`);
});
