/**
 * `migrate [--data-dir D] [--wal-dir W] [--no-ttl] [--transformer T]`: etcdctl 3.4 converts a v2
 * store to mvcc. A tetcd data dir never holds v2 data, so this answers what etcdctl answers for a
 * data dir without v2 keys (`no v2 keys to migrate`, exit 0) and, like etcdctl, fails with
 * `Error: open <data-dir>/member/snap: no such file or directory` (exit 1) when there is no member dir.
 * The data dir is not modified.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CtlCommand, RunContext } from '../command.js';
import { CtlExit, ExitCode } from '../errors.js';
import { boolFlag, stringFlag } from './flags.js';

function runMigrate(ctx: RunContext): Promise<number> {
  const dataDir = ctx.flags.string('data-dir');
  const transformer = ctx.flags.string('transformer');
  if (transformer === '') ctx.out.stdout('using default transformer\n');
  const snapDir = join(dataDir, 'member', 'snap');
  try {
    readdirSync(snapDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'ENOTDIR' ? 'not a directory'
      : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new CtlExit(ExitCode.ERROR, `open ${snapDir}: ${reason}`);
  }
  if (transformer !== '') ctx.out.stdout('finished transforming keys\n');
  ctx.out.stdout('no v2 keys to migrate\n');
  return Promise.resolve(ExitCode.SUCCESS);
}

/** `migrate`. */
export function migrateCommand(): CtlCommand {
  return { name: 'migrate', use: 'migrate', short: 'Migrates keys in a v2 store to a mvcc store',
    flags: [stringFlag('data-dir', '', 'Path to the data directory'),
      boolFlag('no-ttl', 'Do not convert TTL keys'),
      stringFlag('transformer', '', 'Path to the user-provided transformer program'),
      stringFlag('wal-dir', '', 'Path to the WAL directory')],
    run: runMigrate };
}
