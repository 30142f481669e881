/**
 * Watch checks, and the merged event log every other checker builds on. For each watch segment:
 *   ordered (event revisions increase), unique (no revision+key twice), atomic (one revision never split
 *   over two responses), bookmarkable (a progress notification at P: everything <= P was sent, later
 *   events are > P), resumable (a segment's first event is >= its start revision). Across segments:
 *   consistent (every watcher reports the same events for a revision) and reliable (no segment misses a
 *   revision of the merged log inside the range it covered; the merged log has no revision gaps).
 */
import type { History, WatchEvent, WatchSegment } from './history.js';

export interface EventLog {
  /** Revision → its events, in watch order. */
  byRev: Map<number, WatchEvent[]>;
  /** Highest revision covered by some watcher (everything from 2 up to it is in byRev unless reported). */
  coveredTo: number;
  /** Revisions ranges [from, to] no watcher covered. */
  uncovered: Array<[number, number]>;
  /** Revision → when a watcher first received one of its events (ms, the recorder's clock). */
  seenMs: Map<number, number>;
}

const sameEvents = (a: WatchEvent[], b: WatchEvent[]): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Checks one segment; returns the highest revision it covered (startRev - 1 if none). */
function checkSegment(seg: WatchSegment, violations: string[]): number {
  const where = `watcher ${seg.watcher} on ${seg.member} from rev ${seg.startRev}`;
  let lastEventRev = 0;
  let progressRev = 0;
  let covered = seg.startRev - 1;
  const seen = new Set<string>();
  for (const r of seg.responses) {
    if (r.canceled === true) break;
    if (r.events.length === 0) {
      if (r.created !== true) {
        if (r.rev < lastEventRev) violations.push(`${where}: progress notification at ${r.rev} after event ${lastEventRev}`);
        progressRev = Math.max(progressRev, r.rev);
        covered = Math.max(covered, r.rev);
      }
      continue;
    }
    const first = r.events[0]!.kv.mod;
    if (first <= lastEventRev) violations.push(`${where}: revision ${first} not after ${lastEventRev} (ordered/atomic)`);
    if (first <= progressRev) violations.push(`${where}: event at ${first} after progress notification ${progressRev}`);
    if (first < seg.startRev) violations.push(`${where}: event at ${first} before the start revision (resumable)`);
    let prev = first;
    for (const e of r.events) {
      const id = `${e.kv.mod}/${e.kv.key}`;
      if (e.kv.mod < prev) violations.push(`${where}: events out of order at ${e.kv.mod}`);
      if (seen.has(id)) violations.push(`${where}: duplicate event ${id} (unique)`);
      seen.add(id);
      prev = e.kv.mod;
    }
    if (r.rev < prev) violations.push(`${where}: header revision ${r.rev} below event revision ${prev}`);
    lastEventRev = prev;
    covered = Math.max(covered, prev);
  }
  return covered;
}

function groupByRev(seg: WatchSegment): Map<number, WatchEvent[]> {
  const out = new Map<number, WatchEvent[]>();
  for (const r of seg.responses) {
    if (r.canceled === true) break;
    for (const e of r.events) {
      const list = out.get(e.kv.mod) ?? [];
      list.push(e);
      out.set(e.kv.mod, list);
    }
  }
  return out;
}

/** Runs the watch checks and merges all segments into one event log. */
export function checkWatches(history: History, violations: string[]): EventLog {
  const byRev = new Map<number, WatchEvent[]>();
  const seenMs = new Map<number, number>();
  const covers: Array<{ seg: WatchSegment; to: number; events: Map<number, WatchEvent[]> }> = [];
  for (const seg of history.watches) {
    const to = checkSegment(seg, violations);
    const events = groupByRev(seg);
    covers.push({ seg, to, events });
    for (const r of seg.responses) {
      for (const e of r.events) seenMs.set(e.kv.mod, Math.min(seenMs.get(e.kv.mod) ?? Infinity, r.atMs));
    }
    for (const [rev, list] of events) {
      const known = byRev.get(rev);
      if (known === undefined) byRev.set(rev, list);
      else if (!sameEvents(known, list)) {
        violations.push(`watchers disagree at revision ${rev}: ${JSON.stringify(known)} vs ${JSON.stringify(list)} ` +
          `(watcher ${seg.watcher} on ${seg.member})`);
      }
    }
  }
  for (const { seg, to, events } of covers) {
    for (const rev of byRev.keys()) {
      if (rev >= seg.startRev && rev <= to && !events.has(rev)) {
        violations.push(`watcher ${seg.watcher} on ${seg.member} (from ${seg.startRev}) skipped revision ${rev} (reliable)`);
      }
    }
  }
  // Coverage: union of [startRev, to] over segments, from revision 2.
  const ranges = covers.filter((c) => c.to >= c.seg.startRev).map((c) => [c.seg.startRev, c.to] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const uncovered: Array<[number, number]> = [];
  let coveredTo = 1;
  for (const [from, to] of ranges) {
    if (from > coveredTo + 1) uncovered.push([coveredTo + 1, from - 1]);
    coveredTo = Math.max(coveredTo, to);
  }
  for (let rev = 2; rev <= coveredTo; rev++) {
    const inGap = uncovered.some(([a, b]) => rev >= a && rev <= b);
    if (!inGap && !byRev.has(rev)) violations.push(`no watcher saw revision ${rev} inside the watched range (gap)`);
  }
  return { byRev, coveredTo, uncovered, seenMs };
}
