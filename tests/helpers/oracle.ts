/**
 * The oracle pair: a real etcd (the oracle) and the server under test (the subject), both single
 * members started fresh. The subject is tetcd unless E2E_SUBJECT=etcd, which runs real etcd against
 * real etcd to validate the harness itself.
 */
import { runEtcdctl, type EtcdctlOptions, type EtcdctlResult } from './etcdctl.js';
import { lineDiff } from './diff.js';
import { normaliseOutput } from './normalise.js';
import { ServerProcess, type ServerKind } from './server.js';
import { requireOracleBinaries } from './binaries.js';

export interface OraclePair {
  oracle: ServerProcess;
  subject: ServerProcess;
}

/**
 * The kind of server under test: `tetcd` by default, `etcd` when E2E_SUBJECT=etcd.
 * @throws Error on any other E2E_SUBJECT value.
 */
export function subjectKind(): ServerKind {
  const value = process.env['E2E_SUBJECT'] ?? 'tetcd';
  if (value !== 'tetcd' && value !== 'etcd') throw new Error(`E2E_SUBJECT must be tetcd or etcd, got ${value}`);
  return value;
}

/**
 * Starts the oracle and the subject in parallel. If either fails, the other is cleaned up.
 * @throws Error if etcd/etcdctl are missing (always checked first) or a server does not start.
 */
export async function startOraclePair(): Promise<OraclePair> {
  requireOracleBinaries();
  const [oracle, subject] = await Promise.allSettled([
    ServerProcess.start({ kind: 'etcd', name: 'oracle' }),
    ServerProcess.start({ kind: subjectKind(), name: 'subject' }),
  ]);
  if (oracle.status === 'fulfilled' && subject.status === 'fulfilled') {
    return { oracle: oracle.value, subject: subject.value };
  }
  if (oracle.status === 'fulfilled') await oracle.value.cleanup();
  if (subject.status === 'fulfilled') await subject.value.cleanup();
  throw oracle.status === 'rejected' ? oracle.reason : (subject as PromiseRejectedResult).reason;
}

/** Stops both servers and removes their temp dirs; tolerates a partially started pair. */
export async function stopOraclePair(pair: OraclePair | undefined): Promise<void> {
  if (pair === undefined) return;
  await Promise.all([pair.oracle.cleanup(), pair.subject.cleanup()]);
}

function normalised(result: EtcdctlResult, server: ServerProcess): EtcdctlResult {
  const endpoints = [server.endpoint, server.clientUrl];
  return {
    stdout: normaliseOutput(result.stdout, { endpoints }),
    stderr: normaliseOutput(result.stderr, { endpoints }),
    exitCode: result.exitCode,
  };
}

/** What one etcdctl command produced on both servers, normalised, plus a report if they differ. */
export interface EtcdctlComparison {
  oracle: EtcdctlResult;
  subject: EtcdctlResult;
  /** Undefined when stdout, stderr and exit code all match; else a readable diff. */
  mismatch: string | undefined;
}

/**
 * Runs the same etcdctl command against the oracle and then the subject and compares the normalised
 * stdout, stderr and exit code.
 * @throws Error only if etcdctl cannot be run at all (a differing result is reported, not thrown).
 */
export async function compareEtcdctl(pair: OraclePair, args: readonly string[],
  options: EtcdctlOptions = {}): Promise<EtcdctlComparison> {
  const oracle = normalised(await runEtcdctl(pair.oracle.endpoint, args, options), pair.oracle);
  const subject = normalised(await runEtcdctl(pair.subject.endpoint, args, options), pair.subject);
  const problems: string[] = [];
  if (oracle.exitCode !== subject.exitCode) {
    problems.push(`exit code: oracle ${oracle.exitCode}, subject ${subject.exitCode}`);
  }
  const stdoutDiff = lineDiff(oracle.stdout, subject.stdout);
  if (stdoutDiff !== '') problems.push(`stdout differs:\n${stdoutDiff}`);
  const stderrDiff = lineDiff(oracle.stderr, subject.stderr);
  if (stderrDiff !== '') problems.push(`stderr differs:\n${stderrDiff}`);
  if (problems.length === 0) return { oracle, subject, mismatch: undefined };
  const stdin = options.stdin === undefined ? '' : `\n  stdin: ${describeStdin(options.stdin)}`;
  return { oracle, subject, mismatch: `$ etcdctl ${args.join(' ')}${stdin}\n${problems.join('\n')}` };
}

/** Stdin is quoted in reports, shortened when large. */
const STDIN_QUOTE_CHARS_MAX = 200;

function describeStdin(stdin: string | Buffer): string {
  const text = typeof stdin === 'string' ? stdin : stdin.toString('utf8');
  if (text.length <= STDIN_QUOTE_CHARS_MAX) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, STDIN_QUOTE_CHARS_MAX))}… (${text.length} chars)`;
}
