/**
 * `snapshot save|status|restore` as etcdctl 3.4: save streams Maintenance.Snapshot from one endpoint
 * into `<file>.part`, fsyncs and renames it, logging etcdctl's zap lines on stderr and printing
 * "Snapshot saved at <file>"; status and restore read the file offline (src/snapshot).
 */
import { open, rename, rm } from 'node:fs/promises';
import { SHA256_BYTES } from '../../../snapshot/snapshot-file.js';
// restore/status/verify load the storage layers (lmdb, a native module): imported only when run, so every
// other tetcdctl command starts without them.
const storageCommands = (): Promise<typeof import('../../utl/snapshot-commands.js')> =>
  import('../../utl/snapshot-commands.js');
import { formatSnapshotStatus, OutputFormatError, zapLine } from '../../utl/snapshot-output.js';
import type { CtlCommand, RunContext } from '../command.js';
import { commandFailed, withClient } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import { humanizeBytes } from '../go-format.js';
import { boolFlag, stringFlag } from './flags.js';

const TRAILER_ALIGNMENT_BYTES = 512;
const NANOS_PER_SECOND = 1e9;

const RESTORE_CALLERS: Readonly<Record<string, string>> = {
  'restoring snapshot': 'snapshot/v3_snapshot.go:296',
  'restored last compact revision': 'mvcc/kvstore.go:388',
  'added member': 'membership/cluster.go:392',
  'restored snapshot': 'snapshot/v3_snapshot.go:309',
};

/** A one-line download progress bar on a terminal's stderr (tetcdctl only; never in pipes or tests). */
class Progress {
  private lastPercent = -1;

  update(doneBytes: number, totalBytes: number): void {
    const percent = totalBytes === 0 ? 100 : Math.floor((doneBytes * 100) / totalBytes);
    if (percent === this.lastPercent) return;
    this.lastPercent = percent;
    const filled = Math.floor(percent / 5);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ${percent}% ${humanizeBytes(doneBytes)}`);
  }

  done(): void {
    process.stderr.write('\n');
  }
}

/** Streams the snapshot into `partPath`; resolves with its size in bytes. Throws client/fs errors. */
async function download(ctx: RunContext, endpoint: string, partPath: string): Promise<number> {
  const log = (caller: string, message: string, fields: Record<string, unknown> = {}, iso = false): void =>
    ctx.out.stderr(zapLine(caller, message, fields, iso));
  await rm(partPath, { force: true });
  const file = await open(partPath, 'w', 0o600);
  log('snapshot/v3_snapshot.go:119', 'created temporary db file', { path: partPath });
  let size = 0;
  try {
    await withClient(ctx.globals, async (client) => {
      const stream = await client.snapshot();
      log('clientv3/maintenance.go:200', 'opened snapshot stream; downloading', {}, true);
      log('snapshot/v3_snapshot.go:127', 'fetching snapshot', { endpoint });
      let remaining = -1;
      const progress = process.stderr.isTTY ? new Progress() : undefined;
      for await (const response of stream) {
        await file.write(response.blob);
        size += response.blob.length;
        remaining = response.remainingBytes;
        progress?.update(size, size + remaining);
      }
      progress?.done();
      if (remaining !== 0 || size % TRAILER_ALIGNMENT_BYTES !== SHA256_BYTES) {
        throw new Error(`snapshot stream ended early after ${size} bytes`);
      }
      log('clientv3/maintenance.go:208', 'completed snapshot read; closing', {}, true);
    }, [endpoint]);
    await file.sync();
  } finally {
    await file.close();
  }
  return size;
}

async function runSave(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw new CtlExit(ExitCode.BAD_ARGS, 'snapshot save expects one argument');
  const endpoints = ctx.globals.endpoints;
  if (endpoints.length !== 1) {
    throw new CtlExit(ExitCode.INTERRUPTED, `snapshot must be requested to one selected node, not multiple [${endpoints.join(' ')}]`);
  }
  const path = args[0]!;
  const partPath = `${path}.part`;
  const started = process.hrtime.bigint();
  let size: number;
  try {
    size = await download(ctx, endpoints[0]!, partPath);
  } catch (error) {
    await rm(partPath, { force: true });
    throw new CtlExit(ExitCode.INTERRUPTED, commandFailed(error).text);
  }
  const took = Number(process.hrtime.bigint() - started) / NANOS_PER_SECOND;
  ctx.out.stderr(zapLine('snapshot/v3_snapshot.go:142', 'fetched snapshot',
    { endpoint: endpoints[0], size: humanizeBytes(size), took }));
  await rename(partPath, path);
  ctx.out.stderr(zapLine('snapshot/v3_snapshot.go:152', 'saved', { path }));
  ctx.out.stdout(`Snapshot saved at ${path}\n`);
  return ExitCode.SUCCESS;
}

async function runStatus(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw new CtlExit(ExitCode.BAD_ARGS, 'snapshot status requires exactly one argument');
  let text: string;
  try {
    const { statusOfFile } = await storageCommands();
    text = formatSnapshotStatus(await statusOfFile(args[0]!), ctx.globals.writeOut);
  } catch (error) {
    if (error instanceof OutputFormatError) throw new CtlExit(ExitCode.BAD_FEATURE, error.message);
    throw commandFailed(error);
  }
  ctx.out.stdout(text);
  return ExitCode.SUCCESS;
}

async function runRestore(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw new CtlExit(ExitCode.BAD_ARGS, 'snapshot restore requires exactly one argument');
  const { restoreOptionsOf } = await storageCommands();
  const { restoreSnapshot } = await import('../../../snapshot/restore.js');
  const options = { ...restoreOptionsOf(args[0]!, ctx.flags), refuseExistingDir: true };
  try {
    await restoreSnapshot(options, (message, fields) =>
      ctx.out.stderr(zapLine(RESTORE_CALLERS[message] ?? 'snapshot/v3_snapshot.go', message, fields)));
  } catch (error) {
    throw commandFailed(error);
  }
  return ExitCode.SUCCESS;
}

async function runVerify(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw new CtlExit(ExitCode.BAD_ARGS, 'snapshot verify requires exactly one argument');
  try {
    const { verifySnapshotFile } = await import('../../../snapshot/verify.js');
    const status = await verifySnapshotFile(args[0]!);
    ctx.out.stdout(`Snapshot ${args[0]!} verified: hash ${status.hash.toString(16)}, revision ${status.revision}, ` +
      `${status.totalKey} keys, ${humanizeBytes(status.totalSize)}; restore drill OK\n`);
  } catch (error) {
    throw commandFailed(error);
  }
  return ExitCode.SUCCESS;
}

const RESTORE_FLAGS = [
  stringFlag('data-dir', '', 'Path to the data directory'),
  stringFlag('initial-advertise-peer-urls', 'http://localhost:2380',
    'List of this member\'s peer URLs to advertise to the rest of the cluster'),
  stringFlag('initial-cluster', 'default=http://localhost:2380', 'Initial cluster configuration for restore bootstrap'),
  stringFlag('initial-cluster-token', 'etcd-cluster', 'Initial cluster token for the etcd cluster during restore bootstrap'),
  stringFlag('name', 'default', 'Human-readable name for this member'),
  boolFlag('skip-hash-check', 'Ignore snapshot integrity hash value (required if copied from data directory)'),
  stringFlag('wal-dir', '', 'Path to the WAL directory (use --data-dir if none given)'),
];

/** The `snapshot` command group. */
export function snapshotCommand(): CtlCommand {
  return {
    name: 'snapshot', use: 'snapshot <subcommand>', short: 'Manages etcd node snapshots',
    children: [
      { name: 'save', use: 'save <filename>', short: 'Stores an etcd node backend snapshot to a given file', run: runSave },
      { name: 'restore', use: 'restore <filename> [options]', short: 'Restores an etcd member snapshot to an etcd directory',
        flags: RESTORE_FLAGS, run: runRestore },
      { name: 'status', use: 'status <filename>', short: 'Gets backend snapshot status of a given file',
        long: 'When --write-out is set to simple, this command prints out comma-separated status lists for each ' +
          'endpoint.\nThe items in the lists are hash, revision, total keys, total size.\n', run: runStatus },
      { name: 'verify', use: 'verify <filename>', hidden: true,
        short: 'Checks a snapshot file by restoring it into a temporary directory (tetcdctl only)', run: runVerify },
    ],
  };
}
