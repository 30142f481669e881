/**
 * The live key count without walking the index on every status answer: counted once, then kept up to
 * date from the applied events (a put of version 1 creates a key, a delete event removes one; the
 * events are delivered synchronously inside the apply turn, so a count and the events never overlap).
 * A replaced store (snapshot installed from the leader) is counted again.
 */
import { Event_EventType } from '../proto/gen/mvccpb.js';
import type { EtcdServer } from './etcd-server.js';

/** Key and range end `\0`: every key (etcd's convention). */
const ALL_KEYS = new Uint8Array([0]);

export class KeyCounter {
  private keys = 0;
  private countedStore: object | undefined;

  /** Subscribes to `server`'s applied events for its lifetime. */
  constructor(private readonly server: Pick<EtcdServer, 'store' | 'onEvents'>) {
    server.onEvents((events) => {
      if (this.countedStore !== this.server.store) return;
      for (const event of events) {
        if (event.type === Event_EventType.DELETE) this.keys--;
        else if (event.kv?.version === 1) this.keys++;
      }
    });
  }

  /** Keys alive at the store's current revision. */
  count(): number {
    const store = this.server.store;
    if (this.countedStore !== store) {
      this.keys = store.range(ALL_KEYS, ALL_KEYS, { countOnly: true }).count;
      this.countedStore = store;
    }
    return this.keys;
  }
}
