/**
 * Child-process body for parallel sweeps (parallel.ts): receives one SweepRequest over IPC, runs that
 * contiguous range of seeds and sends a compact summary back. (A child process rather than a worker
 * thread: under tsx, Node 20 worker threads do not inherit the TypeScript loader.)
 */
import { assert } from '../base/assert.js';
import type { SimOptions, SimProfile } from './options.js';
import { runSeeds } from './run.js';

export interface SweepRequest {
  start: number;
  count: number;
  profile: SimProfile;
  overrides: Partial<SimOptions>;
  stopAtFirstFailure: boolean;
}

export interface SweepReply {
  seeds: number;
  ticks: number;
  linearizabilityUnknown: number;
  failures: { seed: number; checker: string; message: string; tick: number; digest: string }[];
}

function handle(request: SweepRequest): SweepReply {
  const summary = runSeeds(request.start, request.count, request.profile, request.overrides, undefined,
    request.stopAtFirstFailure);
  return {
    seeds: summary.seeds, ticks: summary.ticks, linearizabilityUnknown: summary.linearizabilityUnknown,
    failures: summary.failures.map((r) => ({
      seed: r.seed, checker: r.failure!.checker, message: r.failure!.message, tick: r.failure!.tick,
      digest: r.digest,
    })),
  };
}

assert(process.send !== undefined, 'sweep-worker must be started with an IPC channel');
process.once('message', (request: SweepRequest) => {
  process.send!(handle(request), () => process.disconnect());
});
