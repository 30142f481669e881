/**
 * Runs a seed range on several worker processes (each a contiguous slice), for the tests and the CLI's
 * --jobs. Results are merged in seed order, so the outcome does not depend on thread scheduling.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assert } from '../base/assert.js';
import type { SimOptions, SimProfile } from './options.js';
import type { SweepReply, SweepRequest } from './sweep-worker.js';

/**
 * Forks the worker module next to this one: the .ts source under tsx when running from source, the
 * built .js otherwise.
 */
function startWorker(): ChildProcess {
  const fromSource = import.meta.url.endsWith('.ts');
  const path = fileURLToPath(new URL(fromSource ? './sweep-worker.ts' : './sweep-worker.js', import.meta.url));
  return fork(path, [], { execArgv: fromSource ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Upper bound on worker processes (the sweep is CPU bound). */
export const JOBS_MAX = 16;

/**
 * Runs seeds [start, start + count) on `jobs` processes. With `stopAtFirstFailure`, each slice stops at
 * its first failing seed. Rejects if a worker dies.
 */
export async function runSeedsParallel(start: number, count: number, profile: SimProfile, jobs: number,
  overrides: Partial<SimOptions> = {}, stopAtFirstFailure = false): Promise<SweepReply> {
  assert(Number.isSafeInteger(jobs) && jobs >= 1 && jobs <= JOBS_MAX, `jobs must be in [1, ${JOBS_MAX}]`);
  const slice = Math.ceil(count / jobs);
  const replies: Promise<SweepReply>[] = [];
  for (let first = start; first < start + count; first += slice) {
    const request: SweepRequest = {
      start: first, count: Math.min(slice, start + count - first), profile, overrides, stopAtFirstFailure,
    };
    replies.push(new Promise<SweepReply>((resolve, reject) => {
      const child = startWorker();
      let reply: SweepReply | undefined;
      child.once('message', (message) => {
        reply = message as SweepReply;
      });
      child.once('error', reject);
      child.once('exit', (code) => {
        if (reply !== undefined) resolve(reply);
        else reject(new Error(`sweep worker exited with code ${code} without a reply`));
      });
      child.send(request);
    }));
  }
  const merged: SweepReply = { seeds: 0, ticks: 0, linearizabilityUnknown: 0, failures: [] };
  for (const reply of await Promise.all(replies)) {
    merged.seeds += reply.seeds;
    merged.ticks += reply.ticks;
    merged.linearizabilityUnknown += reply.linearizabilityUnknown;
    merged.failures.push(...reply.failures);
  }
  return merged;
}
