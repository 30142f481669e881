/**
 * tetcdutl: offline tool for a stopped member's data dir. Commands: `version`, `wal dump`, `db dump`,
 * `verify`. `runUtl(argv)` resolves with the exit code (0 ok, 1 error or corruption, 128 bad args).
 */
import { ETCD_SERVER_VERSION, TETCD_VERSION } from '../../base/version.js';
import { FlagError, parseFlags } from '../ctl/flag-parser.js';
import type { FlagSpec } from '../ctl/flag-parser.js';
import { backendPathOf, requireExists, requireStopped, walDirOf } from './data-dir.js';
import { dumpBackend } from './db-dump.js';
import { verifyDataDir } from './verify.js';
import { dumpWal } from './wal-dump.js';
import type { FlagValues } from '../ctl/flag-parser.js';
import {
  runDefrag, runHashKv, runSnapshotRestore, runSnapshotStatus, SNAPSHOT_FLAGS, UsageError,
} from './snapshot-commands.js';
import { OutputFormatError } from './snapshot-output.js';

const EXIT_BAD_FEATURE = 4;

const EXIT_OK = 0;
const EXIT_ERROR = 1;
const EXIT_BAD_ARGS = 128;

const FLAGS: FlagSpec[] = [
  { name: 'data-dir', kind: 'string', defaultText: '', usage: 'path to the member data directory' },
  { name: 'wal-dir', kind: 'string', defaultText: '', usage: 'WAL directory (default <data-dir>/member/wal)' },
  { name: 'bucket', kind: 'string', defaultText: '', usage: 'db dump: only this bucket' },
  { name: 'help', short: 'h', kind: 'bool', defaultText: 'false', usage: 'help' },
  ...SNAPSHOT_FLAGS,
];

const USAGE = `Usage: tetcdutl <command> [flags]

Commands:
  version                                      print versions
  wal dump --data-dir DIR [--wal-dir DIR]      list every WAL record
  db dump --data-dir DIR [--bucket NAME]       list buckets (key counts) or one bucket's keys
  verify --data-dir DIR [--wal-dir DIR]        check the WAL CRC chain, the backend and the MVCC index
  snapshot status FILE [-w FORMAT]             hash, revision, total keys and size of a snapshot file
  snapshot restore FILE [flags]                build a new data dir from a snapshot (etcd's or tetcd's):
      --name --initial-cluster --initial-cluster-token --initial-advertise-peer-urls --data-dir --wal-dir
      --skip-hash-check --bump-revision N --mark-compacted
  defrag --data-dir DIR                        compact the backend file
  hashkv --data-dir DIR [--rev N] [-w FORMAT]  etcd's HashKV of the store

The member must be stopped.
`;

/** Where tetcdutl writes (process streams by default; tests capture). */
export interface UtlOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const PROCESS_OUTPUT: UtlOutput = {
  stdout: (text) => { process.stdout.write(text); },
  stderr: (text) => { process.stderr.write(text); },
};

async function dispatch(io: UtlOutput, words: string[], values: FlagValues): Promise<number> {
  const dataDir = values.string('data-dir');
  const walDirFlag = values.string('wal-dir');
  const bucket = values.string('bucket');
  const out = io.stdout;
  const command = words.join(' ');
  if (command === 'version') {
    out(`tetcdutl version: ${TETCD_VERSION}\nAPI version: ${ETCD_SERVER_VERSION.split('.').slice(0, 2).join('.')}\n`);
    return EXIT_OK;
  }
  if (command.startsWith('snapshot ') && ['status', 'restore'].includes(words[1] ?? '')) {
    return words[1] === 'status' ? runSnapshotStatus(io, words.slice(2), values)
      : runSnapshotRestore(io, words.slice(2), values);
  }
  if (['defrag', 'hashkv'].includes(command) && dataDir === '') throw new UsageError('--data-dir is required');
  if (dataDir !== '') requireStopped(dataDir);
  if (command === 'defrag') return runDefrag(io, dataDir);
  if (command === 'hashkv') return runHashKv(io, dataDir, values);
  if (!['wal dump', 'db dump', 'verify'].includes(command)) {
    io.stderr(`Error: unknown command "${command}" for "tetcdutl"\n${USAGE}`);
    return EXIT_BAD_ARGS;
  }
  if (dataDir === '' && !(command === 'wal dump' && walDirFlag !== '')) {
    io.stderr('Error: --data-dir is required\n');
    return EXIT_BAD_ARGS;
  }
  const walDir = walDirOf(dataDir, walDirFlag);
  if (command === 'wal dump') {
    requireExists(walDir, 'WAL directory');
    await dumpWal(walDir, out);
  } else if (command === 'db dump') {
    const path = backendPathOf(dataDir);
    requireExists(path, 'backend file');
    await dumpBackend(path, bucket, out);
  } else {
    const report = await verifyDataDir(walDir, backendPathOf(dataDir));
    for (const line of report.lines) out(`${line}\n`);
    if (report.problem !== undefined) {
      io.stderr(`Error: ${report.problem}\n`);
      return EXIT_ERROR;
    }
    out('OK\n');
  }
  return EXIT_OK;
}

/** Runs one tetcdutl invocation (`argv` without the program name); resolves with the exit code. */
export async function runUtl(argv: string[], io: UtlOutput = PROCESS_OUTPUT): Promise<number> {
  const out = io.stdout;
  let parsed;
  try {
    parsed = parseFlags(argv, FLAGS);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    io.stderr(`Error: ${error.message}\n${USAGE}`);
    return EXIT_BAD_ARGS;
  }
  const { positional, values } = parsed;
  if (values.bool('help') || positional.length === 0) {
    out(USAGE);
    return positional.length === 0 && !values.bool('help') ? EXIT_BAD_ARGS : EXIT_OK;
  }
  try {
    return await dispatch(io, positional, values);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`Error: ${error.message}\n`);
      return EXIT_BAD_ARGS;
    }
    if (error instanceof OutputFormatError) {
      io.stderr(`Error: ${error.message}\n`);
      return EXIT_BAD_FEATURE;
    }
    io.stderr(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_ERROR;
  }
}
