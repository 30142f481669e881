/**
 * Simulated network: every message gets a delay in ticks (>= 1) and may be dropped, duplicated or held
 * back behind later messages (reordering). Partitions block directed links: symmetric ones block both
 * directions between two groups, one-way ones block a single direction. A blocked link drops the message
 * at delivery time, so messages already in flight when a partition starts are lost too.
 */
import { assert } from '../base/assert.js';
import type { Random } from '../base/random.js';
import type { Message } from '../raft/types.js';

/** Fault rates of the network; all may change over a run (the liveness phase sets them to zero). */
export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  reorderRate: number;
  delayTicksMax: number;
  reorderDelayTicksMax: number;
}

/** A message in flight. */
export interface Envelope {
  message: Message;
  sentTick: number;
  deliverTick: number;
  /** Global send order; breaks ties between messages due in the same tick. */
  seq: number;
}

/** Why a message did not arrive (reported to the sender's transport, like a failed stream). */
export type DropReason = 'random' | 'partition';

/** Bound on messages in flight: a runaway sender is a bug, not something to buffer forever. */
export const IN_FLIGHT_MAX = 200_000;

function linkKey(from: number, to: number): number {
  return from * 1024 + to;
}

export class SimNetwork {
  private readonly buckets = new Map<number, Envelope[]>();
  private readonly blocked = new Set<number>();
  private readonly isolated = new Set<number>();
  private nextSeq = 0;
  private inFlight = 0;
  /** Counters for reports and tests. */
  readonly stats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, partitionDrops: 0 };

  constructor(private readonly random: Random, public faults: NetworkFaults) {
    assert(faults.delayTicksMax >= 1, 'delayTicksMax must be >= 1');
  }

  /** Messages currently in flight. */
  get inFlightCount(): number {
    return this.inFlight;
  }

  /**
   * Queues `message` for delivery at a future tick (or drops/duplicates it per the fault rates).
   * Returns false if the message was dropped. Throws AssertionError when more than IN_FLIGHT_MAX
   * messages are in flight.
   */
  send(message: Message, nowTick: number): boolean {
    this.stats.sent += 1;
    if (this.random.float() < this.faults.dropRate) {
      this.stats.dropped += 1;
      return false;
    }
    this.enqueue(message, nowTick);
    if (this.random.float() < this.faults.duplicateRate) {
      this.stats.duplicated += 1;
      this.enqueue({ ...message }, nowTick);
    }
    return true;
  }

  private enqueue(message: Message, nowTick: number): void {
    let delay = 1 + this.random.intBelow(this.faults.delayTicksMax);
    if (this.random.float() < this.faults.reorderRate) {
      delay += 1 + this.random.intBelow(this.faults.reorderDelayTicksMax);
    }
    const deliverTick = nowTick + delay;
    assert(deliverTick > nowTick, 'delivery must be in the future');
    let bucket = this.buckets.get(deliverTick);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(deliverTick, bucket);
    }
    bucket.push({ message, sentTick: nowTick, deliverTick, seq: this.nextSeq++ });
    this.inFlight += 1;
    assert(this.inFlight <= IN_FLIGHT_MAX, `more than ${IN_FLIGHT_MAX} messages in flight`);
  }

  /**
   * Removes and returns the messages due at `tick` that may pass (in send order). Messages on a blocked
   * link are dropped and passed to `onDrop`.
   */
  takeDue(tick: number, onDrop?: (envelope: Envelope, reason: DropReason) => void): Envelope[] {
    const bucket = this.buckets.get(tick);
    if (bucket === undefined) return [];
    this.buckets.delete(tick);
    this.inFlight -= bucket.length;
    assert(this.inFlight >= 0, 'in-flight count went negative');
    const due: Envelope[] = [];
    for (const envelope of bucket) {
      if (this.isBlocked(envelope.message.from, envelope.message.to)) {
        this.stats.partitionDrops += 1;
        onDrop?.(envelope, 'partition');
        continue;
      }
      due.push(envelope);
    }
    this.stats.delivered += due.length;
    return due;
  }

  /** True when the directed link from -> to is blocked by a partition or an isolation. */
  isBlocked(from: bigint, to: bigint): boolean {
    if (this.isolated.size > 0 && (this.isolated.has(Number(from)) || this.isolated.has(Number(to)))) return true;
    if (this.blocked.size === 0) return false;
    return this.blocked.has(linkKey(Number(from), Number(to)));
  }

  /** Cuts `node` off from every other node (independent of partitions) until rejoin(). */
  isolate(node: bigint): void {
    this.isolated.add(Number(node));
  }

  rejoin(node: bigint): void {
    this.isolated.delete(Number(node));
  }

  /** Blocks both directions between every node of `left` and every node of `right`. */
  partition(left: readonly bigint[], right: readonly bigint[]): void {
    for (const a of left) {
      for (const b of right) {
        assert(a !== b, 'a node cannot be on both sides of a partition');
        this.blocked.add(linkKey(Number(a), Number(b)));
        this.blocked.add(linkKey(Number(b), Number(a)));
      }
    }
  }

  /** Blocks only from -> to (to can still reach from). */
  blockOneWay(from: bigint, to: bigint): void {
    assert(from !== to, 'cannot block a self link');
    this.blocked.add(linkKey(Number(from), Number(to)));
  }

  /** Removes every partition (isolations stay; see healAll). */
  heal(): void {
    this.blocked.clear();
  }

  /** Removes every partition and isolation. */
  healAll(): void {
    this.blocked.clear();
    this.isolated.clear();
  }

  get partitioned(): boolean {
    return this.blocked.size > 0 || this.isolated.size > 0;
  }
}
