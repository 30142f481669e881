import { assert } from '../base/assert.js';
import type { Backend } from '../backend/backend.js';
import { META_FINISHED_COMPACT, writeCompactMark } from './meta.js';
import { encodeRevision, REVISION_BYTES } from './revision.js';

/** Revisions examined per step of physical compaction before yielding to the event loop. */
export const COMPACTION_BATCH_REVISIONS = 1000;

/** Controls for one physical compaction run. */
export interface CompactionRun {
  backend: Backend;
  revision: number;
  /** Revisions <= revision to keep (17-char binary revision strings). */
  keep: Set<string>;
  batchRevisions?: number;
  /** Checked after every step; true stops the run (it resumes after the next open). */
  stopped: () => boolean;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Deletes every `key`-bucket revision <= `revision` that is not in `keep`, in batches, yielding
 * between them, then writes meta finishedCompactRev. Each batch is committed at once (as etcd's
 * scheduleCompaction force-commits), so the deletes do not pile up in the write buffer and a
 * `compaction --physical` that returns has its effect in the file (Status.dbSizeInUse).
 * Returns false if stopped before finishing.
 */
export async function runPhysicalCompaction(run: CompactionRun): Promise<boolean> {
  const batch = run.batchRevisions ?? COMPACTION_BATCH_REVISIONS;
  assert(batch > 0, 'compaction batch must be positive');
  const end = encodeRevision(run.revision + 1, 0);
  let start: Uint8Array = encodeRevision(0, 0);
  for (;;) {
    const keys: Uint8Array[] = [];
    for (const [key] of run.backend.range('key', start, end, batch)) keys.push(key);
    for (const key of keys) {
      const text = Buffer.from(key.buffer, key.byteOffset, REVISION_BYTES).toString('latin1');
      if (!run.keep.has(text)) run.backend.delete('key', key);
    }
    if (keys.length < batch) {
      writeCompactMark(run.backend, META_FINISHED_COMPACT, run.revision);
      await run.backend.forceCommit();
      return true;
    }
    start = successor(keys[keys.length - 1]!);
    await run.backend.forceCommit();
    await yieldToEventLoop();
    if (run.stopped()) return false;
  }
}

/** The smallest key greater than `key`. */
function successor(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}
