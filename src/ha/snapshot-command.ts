/**
 * `tetcd snapshot save|ls|list|l|delete|prune` — K3s's `k3s etcd-snapshot` for a tetcd (or etcd) member.
 * Writes results to stdout and errors to stderr; returns the exit code (0 ok, 1 failure or bad usage).
 */
import {
  commandSettings, listFormatFrom, memberConnection, parseArgs, retentionFrom, snapshotBaseName, UsageError,
  type ParsedArgs,
} from './command-args.js';
import { formatSnapshotList } from './list-format.js';
import { deleteSnapshots, listSnapshots, pruneSnapshots, takeSnapshot } from './snapshot-service.js';

const USAGE = `Usage: tetcd snapshot <command> [flags]

Commands:
  save                 take an on-demand snapshot (--name, default on-demand; no retention)
  ls, list, l          list local (and with --s3, S3) snapshots (-o json|yaml)
  delete NAME...       delete snapshots locally (and with --s3, on S3)
  prune                keep the newest --snapshot-retention (5) snapshots of --name (default on-demand)

Flags:
  --data-dir, -d DIR            tetcd data dir (default ./default.tetcd)
  --dir, --etcd-snapshot-dir    snapshot dir (default <data-dir>/server/db/snapshots)
  --name NAME                   snapshot base name (default on-demand)
  --node-name NAME              node name in file names (default: host name)
  --etcd-server URL             member endpoint (default from <data-dir>/server/tetcdctl.env, else 127.0.0.1:2379)
  --cacert/--cert/--key FILE    TLS for the member endpoint
  --snapshot-compress           zip the snapshot
  --snapshot-retention N        for prune (default 5)
  -o, --output json|yaml        for ls
  --s3, --s3-endpoint, --s3-endpoint-ca, --s3-skip-ssl-verify, --s3-access-key, --s3-secret-key,
  --s3-bucket, --s3-region, --s3-folder, --s3-insecure, --s3-timeout  (also as --etcd-s3-*)
`;

/** Where the command writes (process.stdout/stderr by default; tests pass collectors). */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const PROCESS_IO: CommandIo = { stdout: process.stdout, stderr: process.stderr };

function write(stream: { write(text: string): unknown }, text: string): void {
  stream.write(text);
}

async function save(args: ParsedArgs, io: CommandIo): Promise<number> {
  if (args.positional.length > 0) throw new UsageError('this command does not take any arguments');
  const settings = commandSettings(args);
  const member = memberConnection(args, settings.dataDir);
  const result = await takeSnapshot({
    ...member, dir: settings.dir, name: snapshotBaseName(args), nodeName: settings.nodeName,
    compress: args.bools.get('compress') === true, retention: 0, ...(settings.s3 !== undefined ? { s3: settings.s3 } : {}),
  });
  write(io.stdout, `Snapshot ${result.local.name} saved to ${result.local.location}\n`);
  if (result.s3 !== undefined) write(io.stdout, `Snapshot ${result.s3.name} uploaded to ${result.s3.location}\n`);
  if (result.s3Error !== undefined) {
    write(io.stderr, `Error: ${result.s3Error}\nThe local snapshot ${result.local.location} was kept.\n`);
    return 1;
  }
  return 0;
}

async function list(args: ParsedArgs, io: CommandIo): Promise<number> {
  const format = listFormatFrom(args);
  const settings = commandSettings(args);
  const snapshots = await listSnapshots(settings.dir, settings.nodeName, settings.s3);
  write(io.stdout, formatSnapshotList(snapshots, format));
  return 0;
}

async function remove(args: ParsedArgs, io: CommandIo): Promise<number> {
  if (args.positional.length === 0) throw new UsageError('no snapshots given for removal');
  const settings = commandSettings(args);
  const outcomes = await deleteSnapshots(args.positional, settings.dir, settings.s3);
  let missing = 0;
  for (const o of outcomes) {
    if (o.deletedLocal) write(io.stdout, `Removed local snapshot ${o.name}\n`);
    if (o.deletedS3) write(io.stdout, `Removed S3 snapshot ${o.name}\n`);
    if (!o.deletedLocal && !o.deletedS3) {
      write(io.stderr, `Snapshot ${o.name} does not exist\n`);
      missing++;
    }
  }
  return missing === 0 ? 0 : 1;
}

async function prune(args: ParsedArgs, io: CommandIo): Promise<number> {
  if (args.positional.length > 0) throw new UsageError('this command does not take any arguments');
  const settings = commandSettings(args);
  const pruned = await pruneSnapshots(settings.dir, snapshotBaseName(args), settings.nodeName, retentionFrom(args),
    settings.s3);
  for (const name of pruned) write(io.stdout, `Removed snapshot ${name}\n`);
  return 0;
}

const COMMANDS: Readonly<Record<string, (args: ParsedArgs, io: CommandIo) => Promise<number>>> = {
  save, ls: list, list, l: list, delete: remove, prune,
};

/**
 * Runs `tetcd snapshot <argv...>`. Never throws: errors are printed to stderr and give exit code 1.
 * `io` defaults to the process's stdout/stderr.
 */
export async function runSnapshotCommand(argv: string[], io: CommandIo = PROCESS_IO): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    write(command === undefined ? io.stderr : io.stdout, USAGE);
    return command === undefined ? 1 : 0;
  }
  const handler = COMMANDS[command];
  if (handler === undefined) {
    write(io.stderr, `Error: unknown snapshot command "${command}"\n\n${USAGE}`);
    return 1;
  }
  try {
    const args = parseArgs(rest);
    if (args.bools.get('help') === true) {
      write(io.stdout, USAGE);
      return 0;
    }
    return await handler(args, io);
  } catch (error) {
    const prefix = error instanceof UsageError ? 'Incorrect Usage: ' : 'Error: ';
    write(io.stderr, `${prefix}${(error as Error).message}\n`);
    return 1;
  }
}
