/**
 * One process per data dir. etcd gets this from file locks on its WAL and bbolt files; Node has no
 * flock, so a member holds `<data-dir>/member/tetcd.lock`, created exclusively, holding its pid and
 * the process start time (from /proc, so a reused pid is not mistaken for the owner). A lock whose
 * owner is gone (kill -9, power loss) is stale and taken over. Within one process the lock is
 * re-entrant: an embedded member that failed to start can be started again on the same dir.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const DATA_DIR_LOCK_FILE = 'tetcd.lock';
/** Stale-lock takeovers tried before giving up (another process racing for the same dir). */
const LOCK_ATTEMPTS_MAX = 3;

/** The owner recorded in a lock file. */
export interface LockOwner { pid: number; startTicks: string }

/** Thrown when another live process holds the data dir. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  readonly code = 'ERR_DATA_DIR_IN_USE';
  constructor(readonly dataDir: string, readonly owner: LockOwner) {
    super(`data dir ${dataDir} is in use by another process (pid ${owner.pid}): stop it first`);
  }
}

export interface DataDirLock {
  /** Removes the lock file if it is still this process's. Idempotent. */
  release(): void;
}

/** The start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat), or '' if unknown. */
function startTicksOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields after it follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? '';
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | undefined {
  const [pidText, startTicks = ''] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  return Number.isSafeInteger(pid) && pid > 0 ? { pid, startTicks } : undefined;
}

/** The live process holding `memberDir`'s lock, other than this one; undefined if free or stale. */
export function lockHolder(memberDir: string): LockOwner | undefined {
  let text: string;
  try {
    text = readFileSync(join(memberDir, DATA_DIR_LOCK_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const owner = parseOwner(text);
  if (owner === undefined || owner.pid === process.pid || !isAlive(owner.pid)) return undefined;
  const ticks = startTicksOf(owner.pid);
  // A live pid with another start time is a different process that reused the pid.
  if (owner.startTicks !== '' && ticks !== '' && ticks !== owner.startTicks) return undefined;
  return owner;
}

/**
 * Takes the lock of `memberDir` (which must exist) for this process.
 * @throws DataDirInUseError if another live process holds it; fs errors otherwise.
 */
export function lockDataDir(dataDir: string, memberDir: string): DataDirLock {
  const path = join(memberDir, DATA_DIR_LOCK_FILE);
  const mine = `${process.pid} ${startTicksOf(process.pid)}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try { writeSync(fd, mine); } finally { closeSync(fd); }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = lockHolder(memberDir);
      if (owner !== undefined) throw new DataDirInUseError(dataDir, owner);
      if (attempt >= LOCK_ATTEMPTS_MAX) throw error;
      rmSync(path, { force: true }); // stale, or this process's own
    }
  }
  let held = true;
  return {
    release: () => {
      if (!held) return;
      held = false;
      try {
        if (readFileSync(path, 'utf8') === mine) rmSync(path, { force: true });
      } catch { /* already gone */ }
    },
  };
}
