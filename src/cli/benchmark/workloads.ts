/**
 * The benchmark workloads (put, range, txn-put) and `runBenchmark`, the programmatic entry point used
 * by the CLI command and by bench/compare-etcd.ts. One EtcdClient with `conns` connections serves all
 * `clients` workers (requests go round-robin over the connections).
 */
import { assert } from '../../base/assert.js';
import { EtcdClient, pb } from '../../client/index.js';
import { checkKeyPlan, encodeKey, keyNumberFor, makeValue } from './keys.js';
import type { KeyPlan } from './keys.js';
import type { BenchmarkResult } from './report.js';
import { runRequests } from './runner.js';
import type { RequestFn } from './runner.js';

/** Most puts in one txn-put request (etcd's default --max-txn-ops). */
export const TXN_OPS_MAX = 128;

/** What to send. */
export type WorkloadSpec =
  | { kind: 'put'; keyPlan: KeyPlan; valueSizeBytes: number }
  | { kind: 'txn-put'; keyPlan: KeyPlan; valueSizeBytes: number; txnOps: number }
  | { kind: 'range'; key: Uint8Array; rangeEnd?: Uint8Array; consistency: 'l' | 's'; limit: number };

/** How to send it. */
export interface CommonOptions {
  endpoints: string[];
  conns: number;
  clients: number;
  total: number;
  /** Requests per second over all clients; 0 = unlimited. */
  ratePerSecond: number;
  dialTimeoutMs: number;
  /** Stop issuing requests after this long (the result then has fewer than `total`). */
  deadlineMs?: number;
  /** Called after each finished request. */
  onProgress?: (done: number) => void;
}

function makeRequestFn(client: EtcdClient, spec: WorkloadSpec): RequestFn {
  switch (spec.kind) {
    case 'put': {
      checkKeyPlan(spec.keyPlan);
      const value = makeValue(spec.valueSizeBytes);
      return (n) => client.put({ key: encodeKey(keyNumberFor(spec.keyPlan, n), spec.keyPlan.keySizeBytes), value });
    }
    case 'txn-put': {
      checkKeyPlan(spec.keyPlan);
      assert(Number.isSafeInteger(spec.txnOps) && spec.txnOps >= 1 && spec.txnOps <= TXN_OPS_MAX, 'bad txn ops');
      const value = makeValue(spec.valueSizeBytes);
      return (n) => {
        // Keys in one txn must be distinct (etcd rejects duplicates), so ops use consecutive numbers.
        const first = keyNumberFor(spec.keyPlan, n * spec.txnOps);
        const puts = Array.from({ length: spec.txnOps }, (_, i) =>
          encodeKey((first + i) % Math.max(spec.keyPlan.keySpaceSize, spec.txnOps), spec.keyPlan.keySizeBytes));
        const success = puts.map((key) => pb.RequestOp.create({ requestPut: pb.PutRequest.create({ key, value }) }));
        return client.txn({ success });
      };
    }
    case 'range': {
      assert(Number.isSafeInteger(spec.limit) && spec.limit >= 0, `bad limit ${spec.limit}`);
      const request = { key: spec.key, serializable: spec.consistency === 's', limit: spec.limit,
        ...(spec.rangeEnd === undefined ? {} : { rangeEnd: spec.rangeEnd }) };
      return () => client.range(request);
    }
  }
}

/**
 * Connects, runs the workload and closes. Throws EtcdClientError when no endpoint answers within
 * `dialTimeoutMs`, RangeError on bad endpoints and AssertionError on out-of-range options; failed
 * requests are counted in the result, not thrown.
 */
export async function runBenchmark(common: CommonOptions, spec: WorkloadSpec): Promise<BenchmarkResult> {
  const { endpoints, conns, dialTimeoutMs } = common;
  const client = new EtcdClient({ endpoints, conns, dialTimeoutMs });
  try {
    await client.dial();
    const request = makeRequestFn(client, spec);
    return await runRequests({
      workload: spec.kind, clients: common.clients, total: common.total, ratePerSecond: common.ratePerSecond,
      ...(common.deadlineMs === undefined ? {} : { deadlineMs: common.deadlineMs }),
      ...(common.onProgress === undefined ? {} : { onProgress: common.onProgress }),
    }, request);
  } finally {
    client.close();
  }
}
