/**
 * Bounded window of in-flight append messages to one follower, identified by the last entry index each
 * carried. A ring buffer: add() at the tail, freeLE() releases everything acknowledged.
 */
import { assert } from '../base/assert.js';

export class Inflights {
  private readonly buffer: number[];
  private start = 0;
  private countValue = 0;

  /** @throws AssertionError unless capacity is a positive integer. */
  constructor(readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity > 0, `inflights capacity must be positive: ${capacity}`);
    this.buffer = new Array<number>(capacity).fill(0);
  }

  get count(): number {
    return this.countValue;
  }

  full(): boolean {
    return this.countValue === this.capacity;
  }

  /** Records an append whose last index is `index`. @throws AssertionError when full or out of order. */
  add(index: number): void {
    assert(!this.full(), 'cannot add into a full inflights window');
    if (this.countValue > 0) {
      const last = this.buffer[(this.start + this.countValue - 1) % this.capacity]!;
      assert(index > last, `inflights must grow: ${index} after ${last}`);
    }
    this.buffer[(this.start + this.countValue) % this.capacity] = index;
    this.countValue++;
  }

  /** Frees every in-flight message whose last index is <= `to`. */
  freeLE(to: number): void {
    while (this.countValue > 0 && this.buffer[this.start]! <= to) {
      this.start = (this.start + 1) % this.capacity;
      this.countValue--;
    }
    if (this.countValue === 0) this.start = 0;
  }

  /** Frees the oldest in-flight message (used when a heartbeat response proves the peer is alive). */
  freeFirstOne(): void {
    if (this.countValue === 0) return;
    this.freeLE(this.buffer[this.start]!);
  }

  reset(): void {
    this.start = 0;
    this.countValue = 0;
  }
}
