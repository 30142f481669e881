/**
 * Simulator CLI.
 *   npm run sim -- --seed N [--trace] [--profile fast|full] [--canary]   replay one seed exactly
 *   npm run sim -- --seeds COUNT [--start S] [--profile fast|full] [--canary] [--jobs J]   sweep seeds
 * Prints `SEED=N` and the derived options for every failing seed (and for --seed), then the summary line
 * `seeds=N failures=F simulated_ticks=T simulated_time=Hh`. Exit code 1 on any failure.
 */
import { deriveOptions, describeOptions, type SimOptions, type SimProfile } from './options.js';
import { runSeedsParallel } from './parallel.js';
import { runSeeds, summaryLine } from './run.js';
import { Simulation, type SimResult } from './simulation.js';

interface CliArgs {
  seed: number | undefined;
  seeds: number;
  start: number;
  profile: SimProfile;
  canary: boolean;
  trace: boolean;
  jobs: number;
}

function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { seed: undefined, seeds: 1, start: 0, profile: 'fast', canary: false, trace: false,
    jobs: 1 };
  const number = (i: number): number => {
    const value = Number(argv[i + 1]);
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${argv[i]} needs a non-negative integer`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--seed') args.seed = number(i++);
    else if (flag === '--seeds') args.seeds = number(i++);
    else if (flag === '--start') args.start = number(i++);
    else if (flag === '--jobs') args.jobs = Math.max(1, number(i++));
    else if (flag === '--profile') {
      const value = argv[++i];
      if (value !== 'fast' && value !== 'full') throw new RangeError('--profile is fast or full');
      args.profile = value;
    } else if (flag === '--canary') args.canary = true;
    else if (flag === '--trace') args.trace = true;
    else throw new RangeError(`unknown argument ${flag}`);
  }
  return args;
}

function printFailure(result: SimResult, overrides: Partial<SimOptions>, profile: SimProfile): void {
  console.log(`SEED=${result.seed}`);
  console.log(`  options: ${describeOptions(deriveOptions(result.seed, profile, overrides))}`);
  if (result.failure !== undefined) {
    console.log(`  FAILED at tick ${result.failure.tick}: ${result.failure.message}`);
  }
  console.log(`  digest=${result.digest} ticks=${result.ticks}`);
}

async function sweepParallel(args: CliArgs, overrides: Partial<SimOptions>): Promise<number> {
  const reply = await runSeedsParallel(args.start, args.seeds, args.profile, args.jobs, overrides);
  for (const failure of reply.failures) {
    console.log(`SEED=${failure.seed}`);
    console.log(`  options: ${describeOptions(deriveOptions(failure.seed, args.profile, overrides))}`);
    console.log(`  FAILED at tick ${failure.tick}: ${failure.message}`);
    console.log(`  digest=${failure.digest}`);
  }
  console.log(summaryLine(reply));
  return reply.failures.length === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const overrides: Partial<SimOptions> = args.canary ? { unsafeCommitPreviousTermByCounting: true } : {};
  if (args.seed !== undefined) {
    const options = deriveOptions(args.seed, args.profile, overrides);
    console.log(`SEED=${args.seed}`);
    console.log(`  options: ${describeOptions(options)}`);
    const result = new Simulation(options, args.trace ? (line) => console.log(line) : undefined).run();
    if (result.failure !== undefined) console.log(`  FAILED at tick ${result.failure.tick}: ${result.failure.message}`);
    console.log(`  digest=${result.digest} ticks=${result.ticks} events=${result.events} ` +
      `stats=${JSON.stringify(result.stats)}`);
    const summary = { seeds: 1, failures: result.ok ? [] : [result], ticks: result.ticks, linearizabilityUnknown: 0 };
    console.log(summaryLine(summary));
    return result.ok ? 0 : 1;
  }
  if (args.jobs > 1) return sweepParallel(args, overrides);
  const summary = runSeeds(args.start, args.seeds, args.profile, overrides,
    (result) => printFailure(result, overrides, args.profile));
  if (summary.linearizabilityUnknown > 0) {
    console.log(`note: ${summary.linearizabilityUnknown} run(s) had a history too large to check fully`);
  }
  console.log(summaryLine(summary));
  return summary.failures.length === 0 ? 0 : 1;
}

main().then((code) => {
  process.exitCode = code;
}, (error: unknown) => {
  console.error(error);
  process.exitCode = 2;
});
