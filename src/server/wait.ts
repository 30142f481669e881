/**
 * Pending proposals and reads, keyed by request id. The proposer registers before proposing; the apply
 * path triggers with the result (or error) once the entry is applied. Bounded: registering beyond
 * `maxPending` fails fast with "too many requests" (etcd's back-pressure).
 */
import { assert } from '../base/assert.js';
import { etcdError } from '../base/errors.js';

interface Waiter<T> { resolve: (value: T) => void; reject: (error: unknown) => void }

export class WaitRegistry<T> {
  private readonly waiters = new Map<bigint, Waiter<T>>();

  constructor(private readonly maxPending: number) {
    assert(maxPending > 0, 'maxPending must be positive');
  }

  get size(): number {
    return this.waiters.size;
  }

  /** Registers `id`; the promise settles when trigger/fail is called for it. Throws ERR_TOO_MANY_REQUESTS. */
  register(id: bigint): Promise<T> {
    assert(!this.waiters.has(id), `duplicate wait id ${id}`);
    if (this.waiters.size >= this.maxPending) throw etcdError('ERR_TOO_MANY_REQUESTS');
    return new Promise<T>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
    });
  }

  has(id: bigint): boolean {
    return this.waiters.has(id);
  }

  trigger(id: bigint, value: T): void {
    const waiter = this.waiters.get(id);
    if (waiter === undefined) return;
    this.waiters.delete(id);
    waiter.resolve(value);
  }

  fail(id: bigint, error: unknown): void {
    const waiter = this.waiters.get(id);
    if (waiter === undefined) return;
    this.waiters.delete(id);
    waiter.reject(error);
  }

  failAll(error: unknown): void {
    const all = [...this.waiters.values()];
    this.waiters.clear();
    for (const waiter of all) waiter.reject(error);
  }
}
