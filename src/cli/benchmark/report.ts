/**
 * Report printing for `tetcd benchmark`, laid out like etcd's tools/benchmark output: a "Summary:"
 * block, a "Response time histogram" and a "Latency distribution", plus an error tally. Times are
 * printed in seconds with four decimals (etcd's format); the JSON form uses milliseconds.
 */
import { assert } from '../../base/assert.js';
import type { LatencySummary } from './latency-stats.js';

/** Widest histogram bar, in characters. */
export const HISTOGRAM_BAR_WIDTH_MAX = 40;
const BAR_CHAR = '∎';

/** What a finished run produced: the latency summary plus wall time and errors. */
export interface BenchmarkResult {
  /** Workload name ("put", "range", "txn-put"). */
  workload: string;
  /** Wall time from the first request to the last response. */
  elapsedMs: number;
  latency: LatencySummary;
  /** Failed requests by error message. */
  errorCounts: Map<string, number>;
}

/** Machine-readable result printed by `--json` (one line). */
export interface BenchmarkJson {
  workload: string;
  requests: number;
  errors: number;
  elapsedSeconds: number;
  requestsPerSecond: number;
  latencyMs: { average: number; fastest: number; slowest: number; stddev: number; p50: number; p90: number;
    p99: number; p999: number };
}

/** Successful requests per second (0 when nothing ran). */
export function requestsPerSecond(result: BenchmarkResult): number {
  assert(result.elapsedMs >= 0, 'elapsed time must be non-negative');
  return result.elapsedMs === 0 ? 0 : result.latency.count / (result.elapsedMs / 1000);
}

function secs(ms: number): string {
  return (ms / 1000).toFixed(4);
}

function totalErrors(result: BenchmarkResult): number {
  let n = 0;
  for (const count of result.errorCounts.values()) n += count;
  return n;
}

/** The latency at percentile `p` from the summary; throws AssertionError if `p` was not computed. */
export function latencyAtMs(summary: LatencySummary, p: number): number {
  const found = summary.percentilesMs.find(([q]) => q === p);
  assert(found !== undefined, `percentile ${p} not in summary`);
  return found[1];
}

/** The human-readable report (ends with a newline). */
export function formatReport(result: BenchmarkResult): string {
  const s = result.latency;
  const lines: string[] = ['', 'Summary:'];
  lines.push(`  Total:\t${secs(result.elapsedMs)} secs.`);
  lines.push(`  Slowest:\t${secs(s.slowestMs)} secs.`);
  lines.push(`  Fastest:\t${secs(s.fastestMs)} secs.`);
  lines.push(`  Average:\t${secs(s.averageMs)} secs.`);
  lines.push(`  Stddev:\t${secs(s.stddevMs)} secs.`);
  lines.push(`  Requests/sec:\t${requestsPerSecond(result).toFixed(4)}`);
  if (s.histogram.length > 0) {
    lines.push('', 'Response time histogram:');
    const countMax = Math.max(...s.histogram.map((b) => b.count));
    for (const bucket of s.histogram) {
      const barLength = countMax === 0 ? 0 : Math.round((bucket.count * HISTOGRAM_BAR_WIDTH_MAX) / countMax);
      lines.push(`  ${secs(bucket.upperMs)} [${bucket.count}]\t|${BAR_CHAR.repeat(barLength)}`);
    }
    lines.push('', 'Latency distribution:');
    for (const [p, ms] of s.percentilesMs) lines.push(`  ${p}% in ${secs(ms)} secs.`);
  }
  if (result.errorCounts.size > 0) {
    lines.push('', `Error distribution (${totalErrors(result)} failed):`);
    const sorted = [...result.errorCounts.entries()].sort((a, b) => b[1] - a[1]);
    for (const [message, count] of sorted) lines.push(`  [${count}]\t${message}`);
  }
  return lines.join('\n') + '\n';
}

/** The `--json` object. Throws AssertionError if the summary lacks p50/p90/p99/p99.9. */
export function toJson(result: BenchmarkResult): BenchmarkJson {
  const s = result.latency;
  const round = (ms: number): number => Math.round(ms * 1000) / 1000;
  return {
    workload: result.workload,
    requests: s.count,
    errors: totalErrors(result),
    elapsedSeconds: round(result.elapsedMs / 1000),
    requestsPerSecond: Math.round(requestsPerSecond(result) * 10) / 10,
    latencyMs: {
      average: round(s.averageMs), fastest: round(s.fastestMs), slowest: round(s.slowestMs),
      stddev: round(s.stddevMs), p50: round(latencyAtMs(s, 50)), p90: round(latencyAtMs(s, 90)),
      p99: round(latencyAtMs(s, 99)), p999: round(latencyAtMs(s, 99.9)),
    },
  };
}
