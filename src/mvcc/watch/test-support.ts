/** Helpers for watch tests (not used by production code). */
import type { MvccStore } from '../store.js';
import { dec, enc } from '../test-util.js';
import type { WatchableStore } from './watchable-store.js';
import type { WatchOutput, WatchSink } from './watcher.js';

/** A sink that keeps what it is offered, up to `capacity` outputs (then refuses, like a full stream). */
export class CollectingSink implements WatchSink {
  readonly outputs: WatchOutput[] = [];
  readonly removedIds: number[] = [];
  constructor(public capacity = Number.POSITIVE_INFINITY) {}

  offer(output: WatchOutput): boolean {
    if (this.outputs.length >= this.capacity) return false;
    this.outputs.push(output);
    return true;
  }

  removed(watchId: number): void {
    this.removedIds.push(watchId);
  }

  /** Events as "PUT k=v@mod" / "DELETE k@mod" lines, in delivery order. */
  eventLines(): string[] {
    return this.outputs.flatMap((o) => o.events.map((e) => (e.type === 0
      ? `PUT ${dec(e.kv!.key)}=${dec(e.kv!.value)}@${e.kv!.modRevision}`
      : `DELETE ${dec(e.kv!.key)}@${e.kv!.modRevision}`)));
  }
}

/** One write transaction (puts as [key, value], deletes as [key] or [key, rangeEnd, 'del']) then notify. */
export function apply(
  store: MvccStore, watch: WatchableStore | undefined, ops: ReadonlyArray<readonly string[]>,
): number {
  const txn = store.write();
  for (const op of ops) {
    if (op.length === 2) txn.put(enc(op[0]!), enc(op[1]!), 0n);
    else txn.deleteRange(enc(op[0]!), enc(op[1] ?? ''));
  }
  const { revision, events } = txn.end();
  if (events.length > 0) watch?.notify(events, revision);
  return revision;
}
