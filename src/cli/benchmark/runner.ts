/**
 * The load loop shared by every workload: `clients` concurrent workers pull request numbers
 * 0..total-1 from a shared counter, pace themselves through the rate limiter, time each request
 * and tally failures by message. A failed request is counted, never retried.
 */
import { assert } from '../../base/assert.js';
import { LatencyRecorder, summarize } from './latency-stats.js';
import { RateLimiter } from './rate-limiter.js';
import type { BenchmarkResult } from './report.js';

/** Most concurrent workers one run starts. */
export const CLIENTS_MAX = 100_000;
/** Most requests one run sends. */
export const TOTAL_MAX = 100_000_000;
/** Distinct error messages kept; further distinct ones are folded into one entry. */
const ERROR_KINDS_MAX = 100;

/** One request: `requestNumber` is in [0, total). Resolves on success, rejects on failure. */
export type RequestFn = (requestNumber: number) => Promise<unknown>;

/** Shape of a run. */
export interface RunOptions {
  workload: string;
  clients: number;
  total: number;
  /** Requests per second across all workers; 0 = unlimited. */
  ratePerSecond: number;
  /** Stop handing out new requests after this long; the result then covers fewer than `total`. */
  deadlineMs?: number;
  /** Called after every finished request (success or failure), e.g. for a progress bar. */
  onProgress?: (done: number) => void;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs `request` `total` times over `clients` workers and returns the summary.
 * Throws AssertionError on out-of-range options; request failures are tallied, not thrown.
 */
export async function runRequests(options: RunOptions, request: RequestFn): Promise<BenchmarkResult> {
  const { clients, total } = options;
  assert(Number.isSafeInteger(clients) && clients >= 1 && clients <= CLIENTS_MAX, `bad clients ${clients}`);
  assert(Number.isSafeInteger(total) && total >= 0 && total <= TOTAL_MAX, `bad total ${total}`);
  const limiter = new RateLimiter(options.ratePerSecond);
  const recorder = new LatencyRecorder(total);
  const errorCounts = new Map<string, number>();
  let nextRequest = 0;
  let done = 0;
  let timedOut = false;
  const deadline = options.deadlineMs === undefined ? undefined
    : setTimeout(() => { timedOut = true; }, options.deadlineMs);
  const worker = async (): Promise<void> => {
    while (nextRequest < total && !timedOut) {
      const requestNumber = nextRequest++;
      await limiter.take();
      const startMs = performance.now();
      try {
        await request(requestNumber);
        recorder.record(performance.now() - startMs);
      } catch (error) {
        let message = describe(error);
        if (!errorCounts.has(message) && errorCounts.size >= ERROR_KINDS_MAX) message = '(other errors)';
        errorCounts.set(message, (errorCounts.get(message) ?? 0) + 1);
      }
      done++;
      options.onProgress?.(done);
    }
  };
  const startMs = performance.now();
  await Promise.all(Array.from({ length: Math.min(clients, Math.max(total, 1)) }, worker));
  const elapsedMs = performance.now() - startMs;
  clearTimeout(deadline);
  assert(done === total || timedOut, `finished ${done} of ${total} requests`);
  return { workload: options.workload, elapsedMs, latency: summarize(recorder), errorCounts };
}
