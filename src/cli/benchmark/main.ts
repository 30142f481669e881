/**
 * Standalone entry for development and scripts: `npx tsx src/cli/benchmark/main.ts put --total 100`
 * behaves like `tetcd benchmark put --total 100`.
 */
import { Command } from 'commander';
import { registerBenchmarkCommand } from './command.js';

const program = new Command('tetcd');
registerBenchmarkCommand(program);
program.parseAsync(['benchmark', ...process.argv.slice(2)], { from: 'user' }).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
