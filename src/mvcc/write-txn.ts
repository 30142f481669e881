import { assert } from '../base/assert.js';
import type { Backend } from '../backend/backend.js';
import { bytesToBinaryString } from '../backend/bytes.js';
import type { KeyIndex } from './key-index.js';
import { encodeKeyValue, EventType, makeKeyValue, type Event, type KeyValue } from './kv-codec.js';
import { keyInterval } from './range-end.js';
import { rangeAt, readKeyValue, type RangeOptions, type RangeResult } from './read.js';
import { encodeRevision } from './revision.js';

/** What a write transaction needs from its store. */
export interface WriteTxnHost {
  readonly backend: Backend;
  readonly index: KeyIndex;
  currentRevision(): number;
  compactRevision(): number;
  /** Called once by end(); `changed` says whether the revision must advance. */
  finishWrite(changed: boolean): number;
}

/**
 * One write transaction (etcd's storeTxnWrite). All changes share main revision current+1 with sub
 * revisions 0, 1, 2...; they are visible to this transaction's own reads at once and to the store's
 * reads after end(). There is no rollback: every transaction must end.
 */
export class MvccWriteTxn {
  private readonly beginRevision: number;
  private readonly events: Event[] = [];
  private ended = false;

  constructor(private readonly host: WriteTxnHost) {
    this.beginRevision = host.currentRevision();
  }

  /** Range that sees this transaction's earlier writes. Throws ERR_FUTURE_REV / ERR_COMPACTED. */
  range(key: Uint8Array, rangeEnd: Uint8Array, options: RangeOptions): RangeResult {
    this.checkOpen();
    const readRevision = this.beginRevision + (this.events.length > 0 ? 1 : 0);
    return rangeAt(
      { backend: this.host.backend, index: this.host.index, compactRevision: this.host.compactRevision() },
      { key, rangeEnd, options, readRevision },
    );
  }

  /**
   * Puts `key` = `value` with `lease` (0n = none). Returns the previous KeyValue if the key was live.
   * The returned event keeps references to `key` and `value`: callers must not mutate them.
   * Throws AssertionError on an empty key.
   */
  put(key: Uint8Array, value: Uint8Array, lease: bigint): { prevKv: KeyValue | undefined } {
    this.checkOpen();
    assert(key.length > 0, 'put of an empty key');
    const { backend, index } = this.host;
    const revision = this.beginRevision + 1;
    const sub = this.events.length;
    const keyText = bytesToBinaryString(key);
    const live = index.live(keyText);
    let prevKv: KeyValue | undefined = undefined;
    if (live !== undefined) {
      const at = index.get(keyText, revision);
      assert(at !== undefined, 'live key without a visible revision');
      prevKv = readKeyValue(backend, at.main, at.sub);
    }
    const kv = makeKeyValue({
      key, value, createRevision: live?.createdMain ?? revision, modRevision: revision,
      version: (live?.version ?? 0) + 1, lease,
    });
    backend.put('key', encodeRevision(revision, sub), encodeKeyValue(kv));
    index.put(keyText, revision, sub);
    this.events.push({ type: EventType.PUT, kv, prevKv });
    return { prevKv };
  }

  /**
   * Deletes every live key in [key, rangeEnd) (etcd conventions). Returns how many and their last
   * KeyValues. Deleting nothing changes nothing.
   */
  deleteRange(key: Uint8Array, rangeEnd: Uint8Array): { deleted: number; prevKvs: KeyValue[] } {
    this.checkOpen();
    const { backend, index } = this.host;
    const readRevision = this.beginRevision + (this.events.length > 0 ? 1 : 0);
    const found = index.range(keyInterval(key, rangeEnd), readRevision, 0);
    const revision = this.beginRevision + 1;
    const prevKvs: KeyValue[] = [];
    for (let i = 0; i < found.keys.length; i++) {
      const prevKv = readKeyValue(backend, found.mains[i]!, found.subs[i]!);
      const sub = this.events.length;
      const tombstone = makeKeyValue({ key: prevKv.key });
      backend.put('key', encodeRevision(revision, sub, true), encodeKeyValue(tombstone));
      index.tombstone(found.keys[i]!, revision, sub);
      const kv = makeKeyValue({ key: prevKv.key, modRevision: revision });
      this.events.push({ type: EventType.DELETE, kv, prevKv });
      prevKvs.push(prevKv);
    }
    return { deleted: found.keys.length, prevKvs };
  }

  /**
   * Ends the transaction: the store revision advances by one iff anything changed. Returns the
   * store revision after the transaction and the events (PUT with the new kv, DELETE with
   * {key, modRevision}; prevKv set when the key was live). Throws AssertionError if already ended.
   */
  end(): { revision: number; events: Event[] } {
    this.checkOpen();
    this.ended = true;
    const revision = this.host.finishWrite(this.events.length > 0);
    assert(revision === this.beginRevision + (this.events.length > 0 ? 1 : 0), 'revision moved during a txn');
    return { revision, events: this.events };
  }

  private checkOpen(): void {
    assert(!this.ended, 'write transaction already ended');
  }
}
