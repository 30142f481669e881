import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/random.js';
import type { Backend } from '../backend/backend.js';
import { META_FINISHED_COMPACT, META_SCHEDULED_COMPACT, readCompactMark } from './meta.js';
import { decodeRevision, encodeRevision } from './revision.js';
import type { MvccStore } from './store.js';
import { closeStore, dec, del, enc, openStore, put, tempDbPath } from './test-util.js';

const SEED = Number(process.env.SEED ?? Date.now() % 2 ** 31);
console.log('SEED=' + SEED);

/** Every revision in the key bucket as "main_sub[t]". */
function storedRevisions(backend: Backend): string[] {
  return [...backend.range('key', encodeRevision(0, 0))].map(([key]) => {
    const r = decodeRevision(key);
    return `${r.main}_${r.sub}${r.tombstone ? 't' : ''}`;
  });
}

/** History model: per revision, what happened to which key. */
type Change = { main: number; sub: number; key: string; value: string | undefined };

function expectedRevisions(history: Change[], compacted: number): string[] {
  const newestAtCompact = new Map<string, Change>();
  for (const c of history) if (c.main <= compacted) newestAtCompact.set(c.key, c);
  const kept = history.filter((c) => c.main > compacted || (newestAtCompact.get(c.key) === c && c.value !== undefined));
  return kept.map((c) => `${c.main}_${c.sub}${c.value === undefined ? 't' : ''}`);
}

function expectedAt(history: Change[], atRev: number): string[] {
  const state = new Map<string, string | undefined>();
  for (const c of history) if (c.main <= atRev) state.set(c.key, c.value);
  const live = [...state].filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
  return live.map(([k, v]) => `${k}=${v}`);
}

function actualAt(store: MvccStore, atRev: number): string[] {
  return store.range(enc('\0'), enc('\0'), { revision: atRev }).kvs.map((kv) => `${dec(kv.key)}=${dec(kv.value)}`);
}

test('randomized puts/deletes/compactions/restarts match a full-history model', async () => {
  const random = new SeededRandom(SEED);
  const path = tempDbPath();
  let opened = await openStore(path, { store: { compactionBatchRevisions: 1 + random.intBelow(20) } });
  const history: Change[] = [];
  let compacted = -1;
  for (let step = 0; step < 400; step++) {
    const { store } = opened;
    const key = `k${random.intBelow(12)}`;
    const dice = random.intBelow(100);
    if (dice < 60) {
      const revision = put(store, key, `v${step}`);
      history.push({ main: revision, sub: 0, key, value: `v${step}` });
    } else if (dice < 85) {
      const [deleted, revision] = del(store, key);
      if (deleted === 1) history.push({ main: revision, sub: 0, key, value: undefined });
    } else if (dice < 95 && store.currentRevision() > compacted + 1) {
      compacted = compacted + 1 + random.intBelow(store.currentRevision() - compacted - 1) + (compacted < 0 ? 1 : 0);
      compacted = Math.min(compacted, store.currentRevision());
      await store.compact(compacted).done;
      assert.deepEqual(storedRevisions(opened.backend), expectedRevisions(history, compacted));
    } else {
      await closeStore(opened);
      opened = await openStore(path, { store: { compactionBatchRevisions: 1 + random.intBelow(20) } });
    }
    const current = opened.store.currentRevision();
    const atRev = Math.max(compacted, 1) + random.intBelow(current - Math.max(compacted, 1) + 1);
    assert.deepEqual(actualAt(opened.store, atRev), expectedAt(history, atRev), `at ${atRev} step ${step}`);
  }
  await closeStore(opened);
});

test('a compaction interrupted by a stop resumes at the next open', async () => {
  const path = tempDbPath();
  const first = await openStore(path, { store: { compactionBatchRevisions: 2 } });
  const history: Change[] = [];
  for (let i = 0; i < 30; i++) {
    const key = `k${i % 3}`;
    const revision = put(first.store, key, `v${i}`);
    history.push({ main: revision, sub: 0, key, value: `v${i}` });
  }
  void first.store.compact(25);
  await closeStore(first);
  const reopenedBackendOnly = await openStore(path, { store: { compactionBatchRevisions: 1_000_000 } });
  const { store, backend } = reopenedBackendOnly;
  await store.compactionsDone();
  assert.equal(readCompactMark(backend, META_SCHEDULED_COMPACT), 25);
  assert.equal(readCompactMark(backend, META_FINISHED_COMPACT), 25);
  assert.equal(store.compactRevision(), 25);
  assert.deepEqual(storedRevisions(backend), expectedRevisions(history, 25));
  assert.deepEqual(actualAt(store, 25), expectedAt(history, 25));
  await closeStore(reopenedBackendOnly);
});

test('stopping mid-compaction really leaves it unfinished on disk', async () => {
  const path = tempDbPath();
  const first = await openStore(path, { store: { compactionBatchRevisions: 2 } });
  for (let i = 0; i < 30; i++) put(first.store, `k${i % 3}`, `v${i}`);
  void first.store.compact(25);
  await closeStore(first);
  const { Backend } = await import('../backend/backend.js');
  const raw = await Backend.open(path);
  assert.equal(readCompactMark(raw, META_SCHEDULED_COMPACT), 25);
  assert.equal(readCompactMark(raw, META_FINISHED_COMPACT), undefined);
  assert.ok(storedRevisions(raw).length > 3);
  await raw.close();
});
