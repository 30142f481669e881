import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Entry, HardState } from '../raft/types.js';
import { Wal, type WalSnapshotMarker } from './wal.js';
import { tempDir } from './test-support.js';

const SEED = Number(process.env['SEED'] ?? Math.floor(Math.random() * 2 ** 31));
// Durability (that fsync happens) is covered in wal.test.ts; here the logic, so skip fsync for speed.
const RUNS = Number(process.env['WAL_PROPERTY_RUNS'] ?? 25);

type Op =
  | { kind: 'save'; startBack: number; count: number; dataBytes: number; withHardState: boolean; mustSync: boolean }
  | { kind: 'snapshot'; back: number }
  | { kind: 'release' }
  | { kind: 'reopen'; fromZero: boolean };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    kind: fc.constant('save' as const), startBack: fc.nat({ max: 4 }), count: fc.nat({ max: 6 }),
    dataBytes: fc.nat({ max: 120 }), withHardState: fc.boolean(), mustSync: fc.boolean(),
  }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), back: fc.nat({ max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const), fromZero: fc.boolean() }) },
);

/** The model: the raft log as an array (index i at position i-1), last HardState, latest marker. */
interface Model {
  log: Entry[];
  hardState: HardState;
  marker: WalSnapshotMarker;
  released: boolean;
  term: number;
}

function applySave(model: Model, op: Extract<Op, { kind: 'save' }>, counter: number): { hs?: HardState; ents: Entry[] } {
  const lastIndex = model.log.length;
  const start = Math.max(model.marker.index + 1, lastIndex + 1 - op.startBack);
  if (op.startBack > 0) model.term += 1;
  const ents: Entry[] = [];
  for (let i = 0; i < op.count; i++) {
    const data = new Uint8Array(op.dataBytes).fill((counter + i) & 0xff);
    ents.push({ index: start + i, term: model.term, type: 0, data });
  }
  if (ents.length > 0) model.log.length = start - 1;
  model.log.push(...ents);
  if (!op.withHardState) return { ents };
  const hs: HardState = { term: model.term, vote: BigInt(counter) << 40n, commit: Math.min(counter, model.log.length) };
  model.hardState = hs;
  return { hs, ents };
}

async function checkRead(dir: string, model: Model, fromZero: boolean, segmentSizeBytes: number): Promise<Wal> {
  const requested = fromZero && !model.released ? { index: 0, term: 0 } : model.marker;
  const { wal, read } = await Wal.open(dir, { index: requested.index, term: requested.term }, {
    segmentSizeBytes, unsafeNoFsync: true,
  });
  assert.equal(read.repairedTornTail, false);
  assert.deepEqual(read.hardState, model.hardState);
  assert.deepEqual(read.entries, model.log.slice(requested.index));
  assert.equal(read.snapshot.index, requested.index);
  if (requested.index === model.marker.index) assert.deepEqual(read.snapshot, model.marker);
  return wal;
}

test('random save sequences match a model (fast-check)', async () => {
  console.log('SEED=' + SEED);
  await fc.assert(fc.asyncProperty(
    fc.array(opArbitrary, { maxLength: 40 }), fc.integer({ min: 200, max: 2000 }),
    async (ops, segmentSizeBytes) => {
      const { dir, cleanup } = await tempDir();
      try {
        const model: Model = {
          log: [], hardState: { term: 0, vote: 0n, commit: 0 }, marker: { index: 0, term: 0 }, released: false, term: 1,
        };
        let wal = await Wal.create(dir, new Uint8Array([1, 2, 3]), { segmentSizeBytes, unsafeNoFsync: true });
        let counter = 0;
        for (const op of ops) {
          counter += 1;
          if (op.kind === 'save') {
            const { hs, ents } = applySave(model, op, counter);
            await wal.save(hs, ents, op.mustSync);
          } else if (op.kind === 'snapshot') {
            const index = Math.max(model.marker.index, model.log.length - op.back);
            const term = index === 0 ? 0 : model.log[index - 1]!.term;
            model.marker = { index, term, confState: { voters: [BigInt(counter)], learners: [], votersOutgoing: [],
              learnersNext: [], autoLeave: counter % 2 === 0 } };
            await wal.saveSnapshot(model.marker);
          } else if (op.kind === 'release') {
            await wal.releaseTo(model.marker.index);
            model.released = true;
          } else {
            await wal.close();
            wal = await checkRead(dir, model, op.fromZero, segmentSizeBytes);
          }
        }
        await wal.close();
        await (await checkRead(dir, model, false, segmentSizeBytes)).close();
      } finally { await cleanup(); }
    },
  ), { seed: SEED, numRuns: RUNS });
});
