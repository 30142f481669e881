/**
 * Hot-path metric updates buffered in plain numbers and handed to prom-client when the metric is
 * collected (a /metrics scrape, the dashboard, any registry read). prom-client's inc() and observe()
 * hash and validate the labels on every call, and each raft message, gRPC call and WAL fsync updates
 * several series; the buffered form costs an addition.
 *
 *   const tally = deferCounter(counter, counter.labels({ To: 'abc' }));
 *   tally.inc(42);                       // plain addition
 *   // counter.get() / registry.metrics() first runs the collect hook: flushDeferred(counter)
 *
 * Metrics that use it must be created with `collect() { flushDeferred(this); }`.
 */

/** Something holding buffered updates. */
interface Flushable { flush(): void }

/** Buffered children per prom-client metric (weak: a member's registry can be dropped). */
const deferredByMetric = new WeakMap<object, Flushable[]>();

/** Observations buffered at most before they are handed over (bounds memory without scrapes). */
export const DEFERRED_OBSERVATIONS_MAX = 256;

export class DeferredCounter implements Flushable {
  private pending = 0;

  constructor(private readonly target: { inc(value: number): void }) {}

  inc(value = 1): void {
    this.pending += value;
  }

  /** Makes the series exist in the output (at 0) without waiting for an update. */
  touch(): void {
    this.target.inc(0);
  }

  flush(): void {
    if (this.pending === 0) return;
    const value = this.pending;
    this.pending = 0;
    this.target.inc(value);
  }
}

export class DeferredHistogram implements Flushable {
  private readonly pending: number[] = [];

  constructor(private readonly target: { observe(value: number): void }) {}

  observe(value: number): void {
    this.pending.push(value);
    if (this.pending.length >= DEFERRED_OBSERVATIONS_MAX) this.flush();
  }

  flush(): void {
    for (const value of this.pending) this.target.observe(value);
    this.pending.length = 0;
  }
}

/** A buffered counter (or counter child) of `metric`. */
export function deferCounter(metric: object, target: { inc(value: number): void }): DeferredCounter {
  return register(metric, new DeferredCounter(target));
}

/** A buffered histogram (or histogram child) of `metric`. */
export function deferHistogram(metric: object, target: { observe(value: number): void }): DeferredHistogram {
  return register(metric, new DeferredHistogram(target));
}

/** Hands every buffered update of `metric` to prom-client (its collect hook calls this). */
export function flushDeferred(metric: object): void {
  const children = deferredByMetric.get(metric);
  if (children === undefined) return;
  for (const child of children) child.flush();
}

function register<T extends Flushable>(metric: object, child: T): T {
  let children = deferredByMetric.get(metric);
  if (children === undefined) {
    children = [];
    deferredByMetric.set(metric, children);
  }
  children.push(child);
  return child;
}
