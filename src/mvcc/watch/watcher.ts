import type { Event } from '../kv-codec.js';
import { EventType } from '../kv-codec.js';
import type { WatchKeyRange } from './key-range.js';

/**
 * What a watch stream hands its client, independent of the wire format. `revision` becomes the
 * response header revision. A response with no events, not created, not canceled and no
 * compactRevision is a progress notification (watchId -1: for every watcher of the stream).
 */
export interface WatchOutput {
  watchId: number;
  events: Event[];
  revision: number;
  created: boolean;
  canceled: boolean;
  compactRevision: number;
  cancelReason: string;
}

/** Where a watcher's responses go (implemented by WatchStream). */
export interface WatchSink {
  /** Queues a response for watcher `watchId`; false when the stream's event buffer is full. */
  offer(output: WatchOutput): boolean;
  /** The store removed the watcher (canceled by compaction). */
  removed(watchId: number): void;
}

/** Which group a watcher is in: synced receives live events, unsynced catches up from history. */
export type WatcherState = 'synced' | 'unsynced' | 'canceled';

/** Options of one watcher (from a WatchCreateRequest). */
export interface WatcherOptions {
  /** Drop PUT events (filter NOPUT). */
  noPut: boolean;
  /** Drop DELETE events (filter NODELETE). */
  noDelete: boolean;
}

/** An empty WatchOutput for `watchId` at `revision` (a progress notification as is). */
export function watchOutput(watchId: number, revision: number, init?: Partial<WatchOutput>): WatchOutput {
  const output: WatchOutput = {
    watchId, revision, events: NO_EVENTS, created: false, canceled: false, compactRevision: 0, cancelReason: '',
  };
  return init === undefined ? output : Object.assign(output, init);
}

/** Shared empty event list of control and progress outputs (never mutated). */
const NO_EVENTS: Event[] = [];

/** An output carrying events (the hot path of live fan-out). */
function eventsOutput(watchId: number, revision: number, events: Event[]): WatchOutput {
  return { watchId, revision, events, created: false, canceled: false, compactRevision: 0, cancelReason: '' };
}

/**
 * One watcher: a key range, the next revision it needs (`minRevision`: every event below it has
 * been delivered or was never wanted) and its filters. Owned by a WatchableStore.
 */
export class Watcher {
  state: WatcherState = 'unsynced';

  constructor(
    readonly id: number,
    readonly range: WatchKeyRange,
    public minRevision: number,
    readonly options: WatcherOptions,
    readonly sink: WatchSink,
  ) {}

  /**
   * Delivers `events` (all at revisions < the caller's bound, already matched to the range) with
   * header revision `revision`. Filtered-out events are dropped; if none remain nothing is sent and
   * the delivery counts as done. Returns false when the sink is full (nothing was queued).
   */
  deliver(events: Event[], revision: number): boolean {
    const kept = this.options.noPut || this.options.noDelete ? events.filter((e) => this.wants(e)) : events;
    if (kept.length === 0) return true;
    return this.sink.offer(eventsOutput(this.id, revision, kept));
  }

  private wants(event: Event): boolean {
    if (event.type === EventType.PUT) return !this.options.noPut;
    return !this.options.noDelete;
  }
}
