/**
 * Pending ReadIndex requests on the leader in Safe mode: each waits for a quorum of heartbeat
 * acknowledgements carrying its context, then every request queued up to it is answered.
 */
import { assert } from '../base/assert.js';
import { ReadOnlyOption } from './api.js';
import type { Message, NodeId } from './types.js';

/** Upper bound of queued read requests; the leader drops older ones past it (the client retries). */
export const READ_INDEX_QUEUE_MAX = 4096;

export interface ReadIndexStatus {
  request: Message;
  index: number;
  acks: Set<NodeId>;
}

/** Hex key of a context, for map lookups. */
export function contextKey(context: Uint8Array): string {
  let key = '';
  for (const byte of context) key += byte.toString(16).padStart(2, '0');
  return key;
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  constructor(readonly option: ReadOnlyOption) {}

  get pendingCount(): number {
    return this.queue.length;
  }

  /** Queues a read request at commit index `index`; the request's context identifies it. */
  addRequest(index: number, request: Message): void {
    const key = contextKey(request.context);
    if (this.pending.has(key)) return;
    if (this.queue.length >= READ_INDEX_QUEUE_MAX) {
      const dropped = this.queue.shift()!;
      this.pending.delete(dropped);
    }
    this.pending.set(key, { request, index, acks: new Set() });
    this.queue.push(key);
  }

  /** Records a heartbeat acknowledgement; returns the acks of that request, or undefined if unknown. */
  recvAck(from: NodeId, context: Uint8Array): ReadonlySet<NodeId> | undefined {
    const status = this.pending.get(contextKey(context));
    if (status === undefined) return undefined;
    status.acks.add(from);
    return status.acks;
  }

  /** Dequeues every request up to and including the one with `context`, in order. */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const key = contextKey(context);
    const position = this.queue.indexOf(key);
    if (position < 0) return [];
    const keys = this.queue.slice(0, position + 1);
    this.queue = this.queue.slice(position + 1);
    const statuses: ReadIndexStatus[] = [];
    for (const k of keys) {
      const status = this.pending.get(k);
      assert(status !== undefined, 'read index queue and pending map out of sync');
      this.pending.delete(k);
      statuses.push(status);
    }
    return statuses;
  }

  /** Context of the newest pending request (attached to heartbeats), or undefined. */
  lastPendingContext(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? undefined : this.pending.get(key)!.request.context;
  }
}
