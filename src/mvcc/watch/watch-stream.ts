import { assert } from '../../base/assert.js';
import { watchKeyRange } from './key-range.js';
import type { WatchableStore } from './watchable-store.js';
import { watchOutput, type Watcher, type WatchOutput, type WatchSink } from './watcher.js';

/** etcd's per-stream buffer of event responses (chanBufLen). */
export const WATCH_STREAM_EVENT_BUFFER = 128;
/** etcd's control-response buffer: past it the transport should stop reading requests. */
export const WATCH_STREAM_CONTROL_BUFFER = 16;
/** watch_id of responses that concern every watcher of a stream (progress for all, refused creates). */
export const INVALID_WATCH_ID = -1;

export const ERR_DUPLICATE_WATCH_ID = 'mvcc: duplicate watch ID provided on the WatchStream';
export const ERR_EMPTY_WATCHER_RANGE = 'mvcc: watcher range is empty';
export const ERR_COMPACTED_MESSAGE = 'etcdserver: mvcc: required revision has been compacted';

/** A create request as the stream needs it. */
export interface WatchCreate {
  key: Uint8Array;
  rangeEnd: Uint8Array;
  startRevision: number;
  /** 0 = pick the next free id. */
  watchId: number;
  noPut: boolean;
  noDelete: boolean;
}

/**
 * One client watch stream: many watchers multiplexed, one ordered output queue. Event responses
 * count against a bound of WATCH_STREAM_EVENT_BUFFER (a full buffer makes the store treat the
 * watcher as slow); control responses (created, canceled, progress) are always queued and
 * `controlBacklog()` tells the transport when to stop reading requests. `onReadable` is called
 * (synchronously) whenever the queue becomes non-empty.
 */
export class WatchStream implements WatchSink {
  private readonly watchers = new Map<number, Watcher>();
  private readonly queue: WatchOutput[] = [];
  private queuedEvents = 0;
  private queuedControls = 0;
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly store: WatchableStore,
    private readonly onReadable: () => void,
    private readonly eventBufferMax = WATCH_STREAM_EVENT_BUFFER,
  ) {
    store.streamsChanged(1);
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /**
   * Creates a watcher and queues its `created` response (before any of its events). Refusals are
   * answered in-band as etcd does: created+canceled with watch_id -1 and a cancel reason. Returns
   * the watch id, or -1 if refused.
   */
  create(request: WatchCreate): number {
    assert(!this.closed, 'watch stream is closed');
    const revision = this.store.currentRevision();
    const refuse = (reason: string): number => {
      const refusal = { created: true, canceled: true, cancelReason: reason };
      this.pushControl(watchOutput(INVALID_WATCH_ID, revision, refusal));
      return INVALID_WATCH_ID;
    };
    if (request.startRevision < 0) return refuse(ERR_COMPACTED_MESSAGE);
    const range = watchKeyRange(request.key, request.rangeEnd);
    if (range === undefined) return refuse(ERR_EMPTY_WATCHER_RANGE);
    let id = request.watchId;
    if (id === 0) {
      while (this.watchers.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    } else if (this.watchers.has(id) || id < 0) {
      return refuse(ERR_DUPLICATE_WATCH_ID);
    }
    this.pushControl(watchOutput(id, revision, { created: true }));
    const watcher = this.store.watch(id, range, request.startRevision,
      { noPut: request.noPut, noDelete: request.noDelete }, this);
    this.watchers.set(id, watcher);
    return id;
  }

  /** Cancels watcher `id`: drops its queued responses and queues {canceled}. False if unknown. */
  cancel(id: number): boolean {
    const watcher = this.watchers.get(id);
    if (watcher === undefined) return false;
    this.store.cancel(watcher);
    this.watchers.delete(id);
    this.dropQueued(id);
    this.pushControl(watchOutput(id, this.store.currentRevision(), { canceled: true }));
    return true;
  }

  /** Periodic progress for one watcher: only when it is synced. True if a response was queued. */
  requestProgress(id: number): boolean {
    const watcher = this.watchers.get(id);
    if (watcher === undefined || !this.store.isSynced(watcher)) return false;
    return this.offer(watchOutput(id, this.store.currentRevision()));
  }

  /**
   * WatchProgressRequest: one response with watch_id -1 at the current revision, only when every
   * watcher of the stream is synced. Returns false when it must be retried later (deferred).
   */
  requestProgressAll(): boolean {
    for (const watcher of this.watchers.values()) if (!this.store.isSynced(watcher)) return false;
    if (this.watchers.size === 0) return true;
    this.pushControl(watchOutput(INVALID_WATCH_ID, this.store.currentRevision()));
    return true;
  }

  /** The next queued response, oldest first. */
  take(): WatchOutput | undefined {
    const output = this.queue.shift();
    if (output === undefined) return undefined;
    if (output.events.length > 0) this.store.pendingEventsChanged(-output.events.length);
    if (isControl(output)) this.queuedControls--;
    else this.queuedEvents--;
    return output;
  }

  /** Queued control responses (the transport pauses reading at WATCH_STREAM_CONTROL_BUFFER). */
  controlBacklog(): number {
    return this.queuedControls;
  }

  /** Every watcher synced (used for deferred progress requests). */
  allSynced(): boolean {
    for (const watcher of this.watchers.values()) if (!this.store.isSynced(watcher)) return false;
    return true;
  }

  /** Cancels every watcher without queuing anything. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const watcher of this.watchers.values()) this.store.cancel(watcher);
    this.watchers.clear();
    const pending = this.queue.reduce((sum, output) => sum + output.events.length, 0);
    if (pending > 0) this.store.pendingEventsChanged(-pending);
    this.queue.length = 0;
    this.store.streamsChanged(-1);
  }

  // ---- WatchSink (called by the store) -----------------------------------------------------------

  offer(output: WatchOutput): boolean {
    if (this.closed) return true;
    if (this.queuedEvents >= this.eventBufferMax) return false;
    this.queue.push(output);
    this.queuedEvents++;
    if (output.events.length > 0) this.store.pendingEventsChanged(output.events.length);
    if (this.queue.length === 1) this.onReadable();
    return true;
  }

  removed(watchId: number): void {
    this.watchers.delete(watchId);
  }

  private pushControl(output: WatchOutput): void {
    this.queue.push(output);
    this.queuedControls++;
    if (this.queue.length === 1) this.onReadable();
  }

  private dropQueued(id: number): void {
    let write = 0;
    for (const output of this.queue) {
      if (output.watchId === id && !output.created) {
        if (isControl(output)) this.queuedControls--;
        else this.queuedEvents--;
        if (output.events.length > 0) this.store.pendingEventsChanged(-output.events.length);
        continue;
      }
      this.queue[write++] = output;
    }
    this.queue.length = write;
  }
}

/** Created/canceled-by-request and progress-for-all responses are control responses. */
function isControl(output: WatchOutput): boolean {
  return output.created || output.watchId === INVALID_WATCH_ID || (output.canceled && output.compactRevision === 0);
}
