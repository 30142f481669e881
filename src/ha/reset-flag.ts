/**
 * The reset marker and K3s's messages around `--cluster-reset`. After a reset, `<data-dir>/reset-flag`
 * (beside `member/` in the member's data dir; K3s: `${data-dir}/server/db/reset-flag`) blocks a second
 * `--cluster-reset` until a normal start removes it, so a reset left in a service's flags cannot run on
 * every restart.
 */
import { existsSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncPath } from './file-io.js';

/** File name of the marker inside the member's data dir. */
export const RESET_FLAG_FILE = 'reset-flag';

/** Where the marker of `dataDir` lives. */
export function resetFlagPath(dataDir: string): string {
  return join(dataDir, RESET_FLAG_FILE);
}

/** The message printed when a reset (or a restore) succeeded (K3s's, with tetcd's data dir). */
export function resetDoneMessage(dataDir: string): string {
  return 'Managed etcd cluster membership has been reset, restart without --cluster-reset flag now. ' +
    `Backup and delete ${dataDir} on each peer server and rejoin the nodes`;
}

/** The refusal of a second `--cluster-reset` while the marker exists (K3s's wording). */
export function alreadyResetMessage(dataDir: string, memberName: string): string {
  return 'Managed etcd cluster membership was previously reset, please remove the cluster-reset flag and start ' +
    `${memberName} normally. If you need to perform another cluster reset, you must first manually delete the ` +
    `file at ${resetFlagPath(dataDir)}`;
}

/** True if `dataDir` holds the marker. */
export function resetFlagExists(dataDir: string): boolean {
  return existsSync(resetFlagPath(dataDir));
}

/**
 * Writes the marker (content: the reset time, RFC 3339) durably.
 * @throws the fs error.
 */
export async function writeResetFlag(dataDir: string, now: Date = new Date()): Promise<void> {
  const path = resetFlagPath(dataDir);
  const handle = await open(path, 'w', 0o600);
  try {
    await handle.writeFile(`${now.toISOString()}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsyncPath(dataDir);
}

/**
 * Removes the marker on a normal start. Returns true if there was one.
 * @throws the fs error (other than a missing file).
 */
export async function clearResetFlag(dataDir: string): Promise<boolean> {
  if (!resetFlagExists(dataDir)) return false;
  await rm(resetFlagPath(dataDir), { force: true });
  return true;
}
