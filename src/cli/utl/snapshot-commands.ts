/**
 * tetcdutl's etcdutl-3.5 commands: `snapshot status FILE`, `snapshot restore FILE [flags]`,
 * `defrag --data-dir DIR`, `hashkv --data-dir DIR [--rev N]`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Backend } from '../../backend/backend.js';
import { MvccStore } from '../../mvcc/store.js';
import { readBbolt } from '../../snapshot/bbolt/reader.js';
import { restoreSnapshot, type RestoreOptions } from '../../snapshot/restore.js';
import { splitSnapshot } from '../../snapshot/snapshot-file.js';
import { snapshotStatus } from '../../snapshot/status.js';
import type { FlagSpec, FlagValues } from '../ctl/flag-parser.js';
import { goDuration } from '../ctl/go-format.js';
import { renderTable } from '../ctl/printers/tablewriter.js';
import { backendPathOf, requireExists } from './data-dir.js';
import { formatSnapshotStatus, zapLine } from './snapshot-output.js';

/** Flags of the snapshot, defrag and hashkv commands (added to tetcdutl's flag set). */
export const SNAPSHOT_FLAGS: FlagSpec[] = [
  { name: 'name', kind: 'string', defaultText: 'default', usage: 'Human-readable name for this member' },
  { name: 'initial-cluster', kind: 'string', defaultText: '', usage: 'Initial cluster configuration for restore bootstrap' },
  { name: 'initial-cluster-token', kind: 'string', defaultText: 'etcd-cluster',
    usage: 'Initial cluster token for the etcd cluster during restore bootstrap' },
  { name: 'initial-advertise-peer-urls', kind: 'string', defaultText: 'http://localhost:2380',
    usage: 'List of this member\'s peer URLs to advertise to the rest of the cluster' },
  { name: 'skip-hash-check', kind: 'bool', defaultText: 'false',
    usage: 'Ignore snapshot integrity hash value (required if copied from data directory)' },
  { name: 'bump-revision', kind: 'int', defaultText: '0', usage: 'How much to increase the latest revision after restore' },
  { name: 'mark-compacted', kind: 'bool', defaultText: 'false',
    usage: 'Mark the latest revision after restore as the point of scheduled compaction' },
  { name: 'rev', kind: 'int', defaultText: '0', usage: 'Revision number. Default is the latest.' },
  { name: 'write-out', short: 'w', kind: 'string', defaultText: 'simple', usage: 'set the output format (simple, json, table, fields)' },
];

/** Output channels (tetcdutl's). */
export interface CommandIo { stdout(text: string): void; stderr(text: string): void }

/** Reads a snapshot file (trailer optional) and computes etcd's status. Throws CorruptionError / fs errors. */
export async function statusOfFile(path: string): Promise<ReturnType<typeof snapshotStatus>> {
  if (!existsSync(path)) throw new Error(`stat ${path}: no such file or directory`);
  const bytes = await readFile(path);
  return snapshotStatus(readBbolt(splitSnapshot(bytes).db, path));
}

/** `snapshot status FILE`. */
export async function runSnapshotStatus(io: CommandIo, args: string[], values: FlagValues): Promise<number> {
  if (args.length !== 1) throw new UsageError('snapshot status requires exactly one argument');
  io.stdout(formatSnapshotStatus(await statusOfFile(args[0]!), values.string('write-out')));
  return 0;
}

/** Restore options from flags (shared with tetcdctl's `snapshot restore`). */
export function restoreOptionsOf(path: string, values: FlagValues): RestoreOptions {
  return {
    snapshotPath: path, name: values.string('name'), initialCluster: values.string('initial-cluster'),
    initialClusterToken: values.string('initial-cluster-token'),
    initialAdvertisePeerUrls: values.string('initial-advertise-peer-urls').split(',').filter((s) => s !== ''),
    dataDir: values.string('data-dir'), walDir: values.string('wal-dir'), skipHashCheck: values.bool('skip-hash-check'),
    bumpRevision: values.has('bump-revision') ? Number(values.int('bump-revision')) : 0,
    markCompacted: values.has('mark-compacted') && values.bool('mark-compacted'),
  };
}

/** `snapshot restore FILE [flags]`: progress as zap lines on stderr. */
export async function runSnapshotRestore(io: CommandIo, args: string[], values: FlagValues): Promise<number> {
  if (args.length !== 1) throw new UsageError('snapshot restore requires exactly one argument');
  await restoreSnapshot(restoreOptionsOf(args[0]!, values),
    (message, fields) => io.stderr(zapLine('snapshot/v3_snapshot.go', message, fields)));
  return 0;
}

/** `defrag --data-dir DIR`: compacts the backend file of a stopped member. */
export async function runDefrag(io: CommandIo, dataDir: string): Promise<number> {
  const path = backendPathOf(dataDir);
  requireExists(path, 'backend file');
  const started = process.hrtime.bigint();
  const backend = await Backend.open(path);
  try {
    await backend.defrag();
  } catch (error) {
    io.stderr(`Failed to defragment etcd data[${dataDir}] (${error instanceof Error ? error.message : String(error)})\n`);
    return 1;
  } finally {
    await backend.close();
  }
  io.stdout(`Finished defragmenting etcd data[${dataDir}]. took ${goDuration(process.hrtime.bigint() - started)}\n`);
  return 0;
}

/** `hashkv --data-dir DIR [--rev N] [-w simple|json|table]`: etcd's HashKV of a stopped member. */
export async function runHashKv(io: CommandIo, dataDir: string, values: FlagValues): Promise<number> {
  const path = backendPathOf(dataDir);
  requireExists(path, 'backend file');
  const backend = await Backend.open(path);
  try {
    const store = await MvccStore.open(backend);
    const result = store.hashByRevision(Number(values.int('rev')));
    await store.close();
    const format = values.string('write-out');
    const row = [String(result.hash), String(result.hashRevision), String(result.compactRevision)];
    if (format === 'json') {
      io.stdout(`${JSON.stringify({ hash: result.hash, hashRevision: result.hashRevision,
        compactRevision: result.compactRevision })}\n`);
    } else if (format === 'table') io.stdout(renderTable(['HASH', 'HASH REVISION', 'COMPACT REVISION'], [row]));
    else io.stdout(`${row.join(', ')}\n`);
  } finally {
    await backend.close();
  }
  return 0;
}

/** Wrong arguments: tetcdutl prints `Error: <message>` and exits 128. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
