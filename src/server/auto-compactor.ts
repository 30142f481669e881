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

/** Parses --auto-compaction-retention for the mode: revisions, or a duration in ms (bare number = hours). */
export function parseRetention(mode: AutoCompactionMode, text: string): number {
  if (mode === 'revision') {
    if (!/^\d+$/.test(text)) throw new Error(`invalid auto-compaction-retention for revision mode: ${text}`);
    return Number(text);
  }
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * HOUR_MS;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: HOUR_MS };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new Error(`invalid auto-compaction-retention: ${text}`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}
