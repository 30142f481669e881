/**
 * A write transaction as the apply layer sees it: ranges that observe the transaction's own writes, and
 * the revision bookkeeping etcd's responses expose (a put reports the new revision; a range inside a
 * write txn reports the begin revision, plus one once the txn has changed something).
 */
import type { KeyValue } from '../../proto/gen/mvccpb.js';
import type { Event } from '../../proto/gen/mvccpb.js';
import type { KvReader, RangeOptions, RangeResult } from './range.js';

/** The subset of the MVCC write transaction used here (implemented by src/mvcc). */
export interface MvccWrite {
  range(key: Uint8Array, rangeEnd: Uint8Array, options: RangeOptions): RangeResult;
  put(key: Uint8Array, value: Uint8Array, lease: bigint): { prevKv: KeyValue | undefined };
  deleteRange(key: Uint8Array, rangeEnd: Uint8Array): { deleted: number; prevKvs: KeyValue[] };
  end(): { revision: number; events: Event[] };
}

export class WriteView implements KvReader {
  private changed = false;

  constructor(private readonly txn: MvccWrite, readonly beginRevision: number) {}

  /** The revision this txn's reads observe. */
  revision(): number {
    return this.changed ? this.beginRevision + 1 : this.beginRevision;
  }

  hasChanges(): boolean {
    return this.changed;
  }

  range(key: Uint8Array, rangeEnd: Uint8Array, options: RangeOptions): RangeResult {
    const result = this.txn.range(key, rangeEnd, options);
    return { kvs: result.kvs, count: result.count, revision: this.revision() };
  }

  put(key: Uint8Array, value: Uint8Array, lease: bigint): number {
    this.txn.put(key, value, lease);
    this.changed = true;
    return this.beginRevision + 1;
  }

  deleteRange(key: Uint8Array, rangeEnd: Uint8Array): { deleted: number; revision: number } {
    const { deleted } = this.txn.deleteRange(key, rangeEnd);
    if (deleted > 0) this.changed = true;
    return { deleted, revision: this.revision() };
  }

  end(): { revision: number; events: Event[] } {
    return this.txn.end();
  }
}
