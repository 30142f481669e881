import { assert, assertSafeInteger } from '../../base/assert.js';
import type { Event } from '../kv-codec.js';
import { keyString, type WatchKeyRange } from './key-range.js';
import { Watcher, watchOutput, type WatcherOptions, type WatchSink } from './watcher.js';
import { WatcherGroup } from './watcher-group.js';

/** What watch needs from the MVCC store (MvccStore satisfies it). */
export interface WatchHistory {
  currentRevision(): number;
  /** -1 when never compacted. */
  compactRevision(): number;
  /** Events with from <= revision <= to, oldest first; throws ERR_COMPACTED if from < compact revision. */
  eventsBetween(fromRevision: number, toRevision: number): Event[];
}

/** Tuning of the catch-up loop (etcd's defaults). */
export interface WatchableStoreOptions {
  /** How often unsynced watchers catch up (etcd: 100 ms). 0 disables the timer (tests call syncOnce). */
  syncIntervalMs?: number;
  /** Watchers caught up per pass (etcd: 512). */
  syncBatchWatchers?: number;
  /** Revisions read from history per pass. */
  syncBatchRevisions?: number;
}

export const WATCH_SYNC_INTERVAL_MS = 100;
export const WATCH_SYNC_BATCH_WATCHERS = 512;
export const WATCH_SYNC_BATCH_REVISIONS = 1000;

/** Counters for metrics and tests. */
export interface WatchStats {
  synced: number;
  unsynced: number;
  /** Times a synced watcher was too slow for a live event and fell back to catch-up. */
  slowWatcherMoves: number;
  /** Watchers canceled because their next revision was compacted. */
  compactionCancels: number;
}

/**
 * etcd's watch gauges (etcd_debugging_mvcc_watcher_total, _watch_stream_total, _slow_watcher_total,
 * _pending_events_total): live watchers, open streams, unsynced (slow or catching-up) watchers, and
 * events queued in streams but not yet taken by their transport.
 */
export interface WatchGauges {
  watchers: number;
  streams: number;
  slowWatchers: number;
  pendingEvents: number;
}

/**
 * etcd's watchable store. Synced watchers get live events from notify() (called in the apply turn,
 * never blocking: a watcher whose stream buffer is full moves to unsynced); unsynced watchers catch
 * up from history in bounded batches and rejoin the synced group when they reach the current
 * revision. A watcher whose next revision was compacted is canceled with compactRevision set.
 */
export class WatchableStore {
  private readonly synced = new WatcherGroup();
  private readonly unsynced = new Set<Watcher>();
  /** The revision the synced group has seen (every synced watcher has every event <= it). */
  private lastRevision: number;
  private timer: NodeJS.Timeout | undefined;
  private kickScheduled = false;
  private closed = false;
  private readonly batchWatchers: number;
  private readonly batchRevisions: number;
  private readonly counters = { slowWatcherMoves: 0, compactionCancels: 0 };
  private openStreams = 0;
  private queuedEvents = 0;

  constructor(private readonly history: () => WatchHistory, options: WatchableStoreOptions = {}) {
    this.lastRevision = history().currentRevision();
    this.batchWatchers = options.syncBatchWatchers ?? WATCH_SYNC_BATCH_WATCHERS;
    this.batchRevisions = options.syncBatchRevisions ?? WATCH_SYNC_BATCH_REVISIONS;
    assert(this.batchWatchers > 0 && this.batchRevisions > 0, 'watch sync batches must be positive');
    const intervalMs = options.syncIntervalMs ?? WATCH_SYNC_INTERVAL_MS;
    if (intervalMs > 0) {
      this.timer = setInterval(() => this.syncOnce(), intervalMs);
      this.timer.unref();
    }
  }

  /**
   * Registers a watcher. startRevision 0 means "after the current revision"; a start revision after
   * the current one waits in the synced group. Throws AssertionError on a non-integer revision.
   */
  watch(id: number, range: WatchKeyRange, startRevision: number, options: WatcherOptions, sink: WatchSink): Watcher {
    assert(!this.closed, 'watchable store is closed');
    assertSafeInteger(startRevision, 'watch start revision');
    this.checkRevisionGap();
    const current = this.lastRevision;
    const minRevision = startRevision === 0 ? current + 1 : startRevision;
    const watcher = new Watcher(id, range, minRevision, options, sink);
    if (minRevision > current) this.joinSynced(watcher);
    else {
      watcher.state = 'unsynced';
      this.unsynced.add(watcher);
      this.kick();
    }
    return watcher;
  }

  /** Removes a watcher from whichever group holds it. Idempotent. */
  cancel(watcher: Watcher): void {
    this.synced.delete(watcher);
    this.unsynced.delete(watcher);
    watcher.state = 'canceled';
  }

  /** The newest revision the store has announced. */
  currentRevision(): number {
    return this.lastRevision;
  }

  /** True when `watcher` receives live events (progress notifications are only sent then). */
  isSynced(watcher: Watcher): boolean {
    return watcher.state === 'synced';
  }

  stats(): WatchStats {
    return { synced: this.synced.size, unsynced: this.unsynced.size, ...this.counters };
  }

  /** The values of etcd's watch gauges (read at scrape time). */
  gauges(): WatchGauges {
    return {
      watchers: this.synced.size + this.unsynced.size, streams: this.openStreams,
      slowWatchers: this.unsynced.size, pendingEvents: this.queuedEvents,
    };
  }

  /** A WatchStream opened (+1) or closed (-1). */
  streamsChanged(delta: 1 | -1): void {
    this.openStreams += delta;
    assert(this.openStreams >= 0, 'more watch streams closed than opened');
  }

  /** Events queued in (positive) or taken from / dropped by (negative) a stream. */
  pendingEventsChanged(delta: number): void {
    this.queuedEvents += delta;
    assert(this.queuedEvents >= 0, 'more watch events taken than queued');
  }

  /**
   * Delivers the events of one applied revision to the synced watchers (EtcdServer.onEvents).
   * Never blocks and never throws for a slow watcher: it moves to unsynced instead.
   */
  notify(events: Event[], revision: number): void {
    if (this.closed) return;
    if (revision !== this.lastRevision + 1) this.unsyncAll();
    this.lastRevision = revision;
    if (this.synced.size === 0) return;
    if (events.length === 1) {
      // Common case: one event, shared by every matching watcher without per-watcher grouping.
      const kv = events[0]!.kv;
      if (kv === undefined) return;
      this.synced.forEachMatching(keyString(kv.key), (w) => this.deliverLive(w, events, revision));
      return;
    }
    const perWatcher = new Map<Watcher, Event[]>();
    for (const event of events) {
      const kv = event.kv;
      if (kv === undefined) continue;
      this.synced.forEachMatching(keyString(kv.key), (watcher) => {
        const list = perWatcher.get(watcher);
        if (list === undefined) perWatcher.set(watcher, [event]);
        else list.push(event);
      });
    }
    for (const [watcher, matched] of perWatcher) this.deliverLive(watcher, matched, revision);
  }

  private deliverLive(watcher: Watcher, events: Event[], revision: number): void {
    if (watcher.minRevision > revision) return;
    if (watcher.deliver(events, revision)) {
      watcher.minRevision = revision + 1;
      return;
    }
    this.counters.slowWatcherMoves++;
    watcher.minRevision = revision;
    this.moveToUnsynced(watcher);
  }

  /**
   * One catch-up pass: up to syncBatchWatchers unsynced watchers get the events of at most
   * syncBatchRevisions revisions; compacted ones are canceled. Called by the timer; public for tests.
   */
  syncOnce(): void {
    if (this.closed || this.unsynced.size === 0) return;
    this.checkRevisionGap();
    const store = this.history();
    const current = this.lastRevision;
    const compacted = store.compactRevision();
    const batch = new WatcherGroup();
    let fromRevision = Number.MAX_SAFE_INTEGER;
    for (const watcher of this.unsynced) {
      if (batch.size >= this.batchWatchers) break;
      if (watcher.minRevision < compacted || watcher.minRevision <= 0) {
        this.cancelCompacted(watcher, compacted, current);
        continue;
      }
      if (watcher.minRevision > current) {
        this.joinSynced(watcher);
        continue;
      }
      batch.add(watcher);
      fromRevision = Math.min(fromRevision, watcher.minRevision);
    }
    if (batch.size === 0) return;
    const toRevision = Math.min(current, fromRevision + this.batchRevisions - 1);
    const perWatcher = matchHistory(batch, store.eventsBetween(fromRevision, toRevision));
    for (const watcher of batch) {
      if (watcher.minRevision > toRevision) continue;
      if (!watcher.deliver(perWatcher.get(watcher) ?? [], toRevision)) continue;
      watcher.minRevision = toRevision + 1;
      if (toRevision === current) this.joinSynced(watcher);
    }
  }

  /** Stops the catch-up timer; later calls do nothing. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private cancelCompacted(watcher: Watcher, compacted: number, current: number): void {
    const compactRevision = Math.max(compacted, 1);
    const sent = watcher.sink.offer(watchOutput(watcher.id, current, { canceled: true, compactRevision }));
    if (!sent) return; // stream full: retried on the next pass
    this.counters.compactionCancels++;
    this.cancel(watcher);
    watcher.sink.removed(watcher.id);
  }

  private joinSynced(watcher: Watcher): void {
    this.unsynced.delete(watcher);
    watcher.state = 'synced';
    this.synced.add(watcher);
  }

  private moveToUnsynced(watcher: Watcher): void {
    this.synced.delete(watcher);
    watcher.state = 'unsynced';
    this.unsynced.add(watcher);
    this.kick();
  }

  /** The store moved without notify (a snapshot was installed): every synced watcher catches up. */
  private checkRevisionGap(): void {
    const current = this.history().currentRevision();
    if (current === this.lastRevision) return;
    this.unsyncAll();
    this.lastRevision = current;
  }

  private unsyncAll(): void {
    for (const watcher of [...this.synced]) {
      watcher.minRevision = Math.max(watcher.minRevision, this.lastRevision + 1);
      this.moveToUnsynced(watcher);
    }
  }

  /** Runs a catch-up pass soon (new unsynced watchers should not wait a whole interval). */
  private kick(): void {
    if (this.kickScheduled || this.closed) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      this.syncOnce();
    });
  }
}

/** Groups history events by the batch watchers that want them (each at or after its minRevision). */
function matchHistory(batch: WatcherGroup, events: Event[]): Map<Watcher, Event[]> {
  const perWatcher = new Map<Watcher, Event[]>();
  for (const event of events) {
    const kv = event.kv;
    if (kv === undefined) continue;
    batch.forEachMatching(keyString(kv.key), (watcher) => {
      if (kv.modRevision < watcher.minRevision) return;
      const list = perWatcher.get(watcher);
      if (list === undefined) perWatcher.set(watcher, [event]);
      else list.push(event);
    });
  }
  return perWatcher;
}
