/**
 * Named crash points for fault-injection tests (tests/robustness). Disabled unless the environment names
 * points when the process starts:
 *
 *   TETCD_CRASH_POINTS=name[:probability|:nth][,name...]   e.g. `wal.after-sync:0.01,backend.before-commit:3`
 *
 * A bare name crashes on its first hit, `:nth` (an integer >= 1) on the nth hit, `:p` (0 < p < 1) on each hit
 * with probability p (PRNG seeded by TETCD_CRASH_SEED, default 1, mixed with the pid). When disabled, `crashPoint()` is one
 * boolean test. A crash writes `tetcd: crash point <name>` to stderr and SIGKILLs the process. With
 * TETCD_CRASH_LOSE_UNSYNCED=1 it first truncates every WAL segment the WAL reported (noteWalSynced) to its
 * last fdatasync'd length, emulating a power loss that drops the page cache; SIGUSR2 then triggers such a
 * crash at once (the harness uses it to cut the power of several members at the same moment).
 */
import { truncateSync, writeSync } from 'node:fs';

/** How a point fires: on the nth hit, or with a probability per hit. */
type Trigger = { kind: 'nth'; nth: number; hits: number } | { kind: 'probability'; p: number };

/** Every crash point name compiled into the server (documented in docs/reliability.md). */
export const CRASH_POINT_NAMES = [
  'raft.before-save', 'raft.after-save', 'raft.before-apply', 'raft.after-apply',
  'raft.after-snapshot-apply', 'wal.before-sync', 'wal.after-sync', 'apply.mid-batch',
  'backend.before-commit', 'backend.mid-commit', 'backend.compaction-mid-commit', 'backend.after-commit',
  'backend.defrag-after-copy', 'backend.defrag-before-rename', 'backend.defrag-after-rename',
  'snap.before-rename', 'snap.after-rename',
] as const;
export type CrashPointName = typeof CRASH_POINT_NAMES[number];

/**
 * Parses a TETCD_CRASH_POINTS value.
 * @throws Error on an unknown name or a bad trigger (a typo must not silently disable a test).
 */
export function parseCrashPoints(text: string): Map<string, Trigger> {
  const out = new Map<string, Trigger>();
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [name = '', arg] = part.split(':');
    if (!(CRASH_POINT_NAMES as readonly string[]).includes(name)) throw new Error(`unknown crash point '${name}'`);
    if (arg === undefined) {
      out.set(name, { kind: 'nth', nth: 1, hits: 0 });
      continue;
    }
    const value = Number(arg);
    if (Number.isInteger(value) && value >= 1) out.set(name, { kind: 'nth', nth: value, hits: 0 });
    else if (value > 0 && value < 1) out.set(name, { kind: 'probability', p: value });
    else throw new Error(`bad crash point trigger '${part}'`);
  }
  return out;
}

const triggers = parseCrashPoints(process.env['TETCD_CRASH_POINTS'] ?? '');
const loseUnsynced = process.env['TETCD_CRASH_LOSE_UNSYNCED'] === '1';
/** True when any point is armed (or power loss is emulated); false makes crashPoint() one boolean test. */
export const crashPointsEnabled = triggers.size > 0 || loseUnsynced;
/** WAL segment path → bytes known to be durable (only tracked when crash points are enabled). */
const syncedBytes = new Map<string, number>();
// Seed mixed with the pid (members of one run differ) and scrambled (small seeds give tiny first draws).
let prngState = (Math.imul((Number(process.env['TETCD_CRASH_SEED'] ?? '1') ^ process.pid) >>> 0, 0x9e3779b1) >>> 0) || 1;

function nextRandom(): number {
  // xorshift32: deterministic per seed so a crash schedule can be replayed.
  prngState ^= prngState << 13;
  prngState >>>= 0;
  prngState ^= prngState >>> 17;
  prngState ^= prngState << 5;
  prngState >>>= 0;
  return prngState / 0x1_0000_0000;
}

/** Kills the process at the named point if it is armed and its trigger fires. Never returns then. */
export function crashPoint(name: CrashPointName): void {
  if (!crashPointsEnabled) return;
  const trigger = triggers.get(name);
  if (trigger === undefined) return;
  if (trigger.kind === 'nth') {
    trigger.hits += 1;
    if (trigger.hits !== trigger.nth) return;
  } else if (nextRandom() >= trigger.p) {
    return;
  }
  crashNow(name);
}

/**
 * Records that `path` (a WAL segment) is durable up to `sizeBytes` (after an fdatasync, or when a segment
 * was created durably or found on disk at open). No-op when crash points are disabled.
 */
export function noteWalSynced(path: string, sizeBytes: number): void {
  if (!crashPointsEnabled) return;
  syncedBytes.set(path, sizeBytes);
}

if (loseUnsynced) process.on('SIGUSR2', () => crashNow('signal'));

function crashNow(name: string): never {
  if (loseUnsynced) {
    for (const [path, sizeBytes] of syncedBytes) {
      try {
        truncateSync(path, sizeBytes);
      } catch {
        // a purged segment is gone already
      }
    }
  }
  writeSync(2, `tetcd: crash point ${name}${loseUnsynced ? ' (unsynced WAL data dropped)' : ''}\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not stop the process');
}
