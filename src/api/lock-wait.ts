/**
 * Waiting for keys to be deleted without polling, as clientv3's concurrency package does with a watch:
 * a Lock or Campaign waiter finds the key under the same prefix with the next-lower create revision and
 * sleeps until the applied-event stream reports that key's DELETE (or its own key's, when its lease
 * expired or was revoked), then looks again. Waiters are thus served in create-revision order, each woken
 * only by the deletion of its predecessor.
 *
 * Events come from EtcdServer.onEvents (called in the apply turn of the member serving the call). One
 * dispatcher per server subscribes once and fans out to the live subscriptions (onEvents has no
 * unsubscribe). A revision gap (a raft snapshot replaced the store, so some deletes were never announced)
 * wakes every subscription to look again.
 */
import { assert } from '../base/assert.js';
import { etcdError } from '../base/errors.js';
import {
  RangeRequest, RangeRequest_SortOrder, RangeRequest_SortTarget,
} from '../proto/gen/etcdserverpb.js';
import { Event_EventType, type Event, type KeyValue } from '../proto/gen/mvccpb.js';
import type { EtcdServer } from '../server/etcd-server.js';

/** A subscriber sees every applied revision's events; `gap` = revisions were skipped (snapshot install). */
export type AppliedEventsListener = (events: Event[], revision: number, gap: boolean) => void;

/** Fans the server's applied events out to subscriptions that can be removed. */
export class AppliedEvents {
  private static readonly perServer = new WeakMap<EtcdServer, AppliedEvents>();
  private readonly listeners = new Set<AppliedEventsListener>();
  private lastRevision = 0;

  private constructor(server: EtcdServer) {
    server.onEvents((events, revision) => this.publish(events, revision));
  }

  /** The dispatcher of `server` (the unscoped server object), created on first use. Throws nothing. */
  static of(server: EtcdServer): AppliedEvents {
    let dispatcher = AppliedEvents.perServer.get(server);
    if (dispatcher === undefined) {
      dispatcher = new AppliedEvents(server);
      AppliedEvents.perServer.set(server, dispatcher);
    }
    return dispatcher;
  }

  /** Adds a listener; returns its removal (idempotent). */
  subscribe(listener: AppliedEventsListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** Live subscriptions (tests: waiters must not leak). */
  get size(): number {
    return this.listeners.size;
  }

  private publish(events: Event[], revision: number): void {
    const gap = this.lastRevision !== 0 && revision !== this.lastRevision + 1;
    this.lastRevision = revision;
    for (const listener of [...this.listeners]) listener(events, revision, gap);
  }
}

const keyOf = (key: Uint8Array): string => Buffer.from(key).toString('latin1');

/**
 * Records the DELETEs under one prefix from the moment it is created, so that a delete applied between
 * a range and the start of the wait is not missed. `close()` must be called (finally).
 */
class DeleteRecorder {
  /** key → revision of its latest delete since the recorder started. */
  private readonly deleted = new Map<string, number>();
  private gapRevision = 0;
  private wake: (() => void) | undefined;
  readonly close: () => void;

  constructor(events: AppliedEvents, private readonly prefix: Uint8Array) {
    this.close = events.subscribe((list, revision, gap) => this.record(list, revision, gap));
  }

  /**
   * Resolves once one of `keys` was deleted at a revision after `afterRevision` (or the store jumped),
   * returning the deleted key or undefined for a jump. Rejects with ERR_CANCELED when `signal` aborts.
   */
  async next(keys: Uint8Array[], afterRevision: number, signal: AbortSignal): Promise<Uint8Array | undefined> {
    for (;;) {
      if (signal.aborted) throw etcdError('ERR_CANCELED');
      if (this.gapRevision > afterRevision) return undefined;
      for (const key of keys) if ((this.deleted.get(keyOf(key)) ?? 0) > afterRevision) return key;
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private record(events: Event[], revision: number, gap: boolean): void {
    if (gap) this.gapRevision = revision;
    let relevant = gap;
    for (const event of events) {
      const key = event.kv?.key;
      if (event.type !== Event_EventType.DELETE || key === undefined || !startsWith(key, this.prefix)) continue;
      this.deleted.set(keyOf(key), revision);
      relevant = true;
    }
    if (relevant) this.wake?.();
  }
}

/** What a waiter needs: its own key and create revision under `prefix` (which ends with '/'). */
export interface WaitTarget {
  prefix: Uint8Array;
  ownKey: Uint8Array;
  ownCreateRevision: number;
}

/** Error message when the waiter's own key disappeared (its lease expired or was revoked). */
export type SessionExpiredMessage = 'mutex: session is expired' | 'election: session expired';

/**
 * Waits until no key under `target.prefix` has a create revision lower than the waiter's (etcd's
 * waitDeletes), watching only the next-lower key. `server` does the reads (it may be an auth-scoped view);
 * `root` is the unscoped server whose applied events are watched. Throws EtcdError ERR_CANCELED when
 * `signal` aborts, Error(`expired`) when the waiter's own key is deleted first, and whatever the range
 * throws (ERR_NO_LEADER, permission errors).
 */
export async function waitForPredecessorsDeleted(server: EtcdServer, root: EtcdServer, target: WaitTarget,
  signal: AbortSignal, expired: SessionExpiredMessage): Promise<void> {
  assert(target.ownCreateRevision > 0, 'a waiter needs its own create revision');
  const recorder = new DeleteRecorder(AppliedEvents.of(root), target.prefix);
  try {
    for (;;) {
      if (signal.aborted) throw etcdError('ERR_CANCELED');
      const { own, predecessor, revision } = await ownAndPredecessor(server, target);
      if (own === undefined || Buffer.compare(own.key, target.ownKey) !== 0) throw new Error(expired);
      if (predecessor === undefined) return;
      const deleted = await recorder.next([predecessor.key, target.ownKey], revision, signal);
      if (deleted !== undefined && Buffer.compare(deleted, target.ownKey) === 0) throw new Error(expired);
    }
  } finally {
    recorder.close();
  }
}

/** One linearizable range: the waiter's own key and the key created just before it (limit 2, newest first). */
async function ownAndPredecessor(server: EtcdServer, target: WaitTarget,
): Promise<{ own: KeyValue | undefined; predecessor: KeyValue | undefined; revision: number }> {
  const response = await server.range(RangeRequest.create({
    key: target.prefix, rangeEnd: prefixEnd(target.prefix), limit: 2,
    sortOrder: RangeRequest_SortOrder.DESCEND, sortTarget: RangeRequest_SortTarget.CREATE,
    maxCreateRevision: target.ownCreateRevision,
  }));
  const [first, second] = response.kvs;
  const ownFirst = first !== undefined && first.createRevision === target.ownCreateRevision;
  return {
    own: ownFirst ? first : undefined,
    predecessor: ownFirst ? second : first,
    revision: response.header?.revision ?? 0,
  };
}

/** An AbortSignal that aborts when the gRPC call is cancelled by the client (grpc-js and H2 calls). */
export function callSignal(call: { cancelled: boolean; once(event: 'cancelled', listener: () => void): unknown }):
AbortSignal {
  const controller = new AbortController();
  if (call.cancelled) controller.abort();
  else call.once('cancelled', () => controller.abort());
  return controller.signal;
}

/** The range end covering every key that starts with `prefix` (etcd's GetPrefixRangeEnd). */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return new Uint8Array([0]);
}

/** True when `key` starts with `prefix`. */
export function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}
