/**
 * Auto-compaction (--auto-compaction-mode / --auto-compaction-retention) with etcd's semantics, run only
 * on the leader (paused elsewhere):
 *  - revision: every 5 minutes, compact at (current revision - retention) when that is ahead of the last
 *    compaction;
 *  - periodic: retention is a duration ("1h", "30m"; a bare number means hours). The current revision is
 *    sampled every tenth of min(retention, 1h); once a full retention window has been observed, every
 *    min(retention, 1h) the store is compacted at the newest sample that is at least `retention` old,
 *    so roughly the last `retention` of history is kept.
 * Time comes from the injected clock; `tick()` is driven by a timer in production and by tests directly.
 */
import { assert } from '../base/assert.js';
import type { Clock } from '../base/clock.js';

export type AutoCompactionMode = 'periodic' | 'revision';

export interface CompactionTarget {
  currentRevision(): number;
  compactRevision(): number;
  /** Proposes a compaction at `revision` (through raft). */
  compact(revision: number): Promise<void>;
}

const REVISION_CHECK_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;

export class AutoCompactor {
  private running = false;
  private samples: Array<{ atMs: number; revision: number }> = [];
  private startedAtMs = 0;
  private lastCompactAtMs = 0;
  private lastSampleAtMs = 0;
  private inFlight = false;

  constructor(
    readonly mode: AutoCompactionMode,
    /** Revisions to keep (revision mode) or milliseconds of history (periodic mode). */
    readonly retention: number,
    private readonly target: CompactionTarget,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
  ) {
    assert(retention > 0, 'auto-compaction retention must be positive');
  }

  /** How often tick() should run. */
  tickIntervalMs(): number {
    return this.mode === 'revision' ? REVISION_CHECK_MS : Math.max(1, Math.floor(Math.min(this.retention, HOUR_MS) / 10));
  }

  /** Leader: start (or restart) observing; followers: pause. */
  setActive(active: boolean): void {
    if (active === this.running) return;
    this.running = active;
    this.samples = [];
    this.startedAtMs = this.clock.nowMs();
    this.lastCompactAtMs = this.startedAtMs;
    this.lastSampleAtMs = 0;
  }

  tick(): void {
    if (!this.running || this.inFlight) return;
    const now = this.clock.nowMs();
    if (this.mode === 'revision') {
      this.maybeCompact(this.target.currentRevision() - this.retention);
      return;
    }
    const period = Math.min(this.retention, HOUR_MS);
    if (this.lastSampleAtMs === 0 || now - this.lastSampleAtMs >= period / 10) {
      this.samples.push({ atMs: now, revision: this.target.currentRevision() });
      this.lastSampleAtMs = now;
    }
    if (now - this.startedAtMs < this.retention || now - this.lastCompactAtMs < period) return;
    const old = this.samples.filter((s) => now - s.atMs >= this.retention);
    const newestOld = old.at(-1);
    if (newestOld === undefined) return;
    this.samples = this.samples.filter((s) => s.atMs >= newestOld.atMs);
    this.lastCompactAtMs = now;
    this.maybeCompact(newestOld.revision);
  }

  private maybeCompact(revision: number): void {
    if (revision <= 0 || revision <= this.target.compactRevision()) return;
    this.inFlight = true;
    this.target.compact(revision).catch(this.onError).finally(() => { this.inFlight = false; });
  }
}

/** Go's time.ParseDuration units, in milliseconds. */
const GO_DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: HOUR_MS,
};

/** Go's time.ParseDuration in milliseconds (sign, decimals, several units: "1h30m", "1.5h", "-2s", "0"). */
function parseGoDurationMs(text: string): number {
  const match = /^([-+]?)(.*)$/.exec(text)!;
  const body = match[2]!;
  if (body === '0') return 0;
  if (body === '') throw new Error(`time: invalid duration "${text}"`);
  const parts = [...body.matchAll(/(\d*\.?\d*)([a-zµμ]*)/g)].filter((p) => p[0] !== '');
  if (parts.map((p) => p[0]).join('') !== body) throw new Error(`time: invalid duration "${text}"`);
  let total = 0;
  for (const [, number, unit] of parts) {
    if (number === '' || number === '.') throw new Error(`time: invalid duration "${text}"`);
    if (unit === '') throw new Error(`time: missing unit in duration "${text}"`);
    const scale = GO_DURATION_UNITS_MS[unit!];
    if (scale === undefined) throw new Error(`time: unknown unit "${unit}" in duration "${text}"`);
    total += Number(number) * scale;
  }
  return match[1] === '-' ? -total : total;
}

/**
 * Parses --auto-compaction-retention as etcd 3.4's parseCompactionRetention: a non-negative integer is
 * revisions (revision mode) or hours (periodic mode); anything else is a Go duration, which in revision
 * mode etcd takes as that many nanoseconds worth of revisions (kept for fidelity: "5m" keeps 3e11
 * revisions). Returns revisions or milliseconds. Throws Error with Go's wording on a bad duration.
 */
export function parseRetention(mode: AutoCompactionMode, text: string): number {
  if (/^\+?\d+$/.test(text)) return mode === 'revision' ? Number(text) : Number(text) * HOUR_MS;
  const ms = parseGoDurationMs(text);
  return mode === 'revision' ? Math.round(ms * 1e6) : ms;
}

/** `ms` as Go's time.Duration.String() prints it ("1h0m0s", "5m0s", "2.5s", "300ms"). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (Math.abs(ms) < 1000) return `${Number(ms.toFixed(6))}ms`;
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const hours = Math.floor(rest / HOUR_MS);
  rest -= hours * HOUR_MS;
  const minutes = Math.floor(rest / 60_000);
  const seconds = `${Number(((rest - minutes * 60_000) / 1000).toFixed(9))}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  return minutes > 0 ? `${sign}${minutes}m${seconds}` : `${sign}${seconds}`;
}
