/**
 * Entry points for running seeds (used by the CLI and the tests).
 */
import { deriveOptions, type SimOptions, type SimProfile } from './options.js';
import { Simulation, type SimResult } from './simulation.js';

/** Milliseconds of real time one simulated tick stands for (for the summary line). */
export const TICK_MS = 10;

/** Runs one seed. Never throws for a failing run: the failure is in the result. */
export function runSeed(seed: number, profile: SimProfile, overrides: Partial<SimOptions> = {}): SimResult {
  return new Simulation(deriveOptions(seed, profile, overrides)).run();
}

export interface SweepSummary {
  seeds: number;
  failures: SimResult[];
  ticks: number;
  linearizabilityUnknown: number;
}

/** Runs seeds [start, start + count) and collects failures; `onFailure` sees each one as it happens. */
export function runSeeds(start: number, count: number, profile: SimProfile, overrides: Partial<SimOptions> = {},
  onFailure?: (result: SimResult) => void, stopAtFirstFailure = false): SweepSummary {
  const summary: SweepSummary = { seeds: 0, failures: [], ticks: 0, linearizabilityUnknown: 0 };
  for (let seed = start; seed < start + count; seed++) {
    if (stopAtFirstFailure && summary.failures.length > 0) break;
    const result = runSeed(seed, profile, overrides);
    summary.seeds += 1;
    summary.ticks += result.ticks;
    summary.linearizabilityUnknown += result.linearizabilityUnknown;
    if (!result.ok) {
      summary.failures.push(result);
      onFailure?.(result);
    }
  }
  return summary;
}

/** The summary line: `seeds=N failures=F simulated_ticks=T simulated_time=Hh`. */
export function summaryLine(summary: { seeds: number; failures: readonly unknown[]; ticks: number }): string {
  const hours = (summary.ticks * TICK_MS) / 3_600_000;
  return `seeds=${summary.seeds} failures=${summary.failures.length} simulated_ticks=${summary.ticks} ` +
    `simulated_time=${hours.toFixed(2)}h`;
}
