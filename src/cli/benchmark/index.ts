/** `tetcd benchmark` (see README.md). */
export { registerBenchmarkCommand } from './command.js';
export { runBenchmark } from './workloads.js';
export type { CommonOptions, WorkloadSpec } from './workloads.js';
export { formatReport, toJson } from './report.js';
export type { BenchmarkJson, BenchmarkResult } from './report.js';
