/**
 * Crash test: the subject server is SIGKILLed at random moments (seeded) while 8 writers put unique
 * keys concurrently, then restarted on the same data dir, for CRASH_ROUNDS rounds. After every
 * restart each acknowledged write must be present with its value and its acknowledged revision,
 * and the store revision must never go backwards. No round starts after TIME_BUDGET_MS. Prints SEED=...; `SEED=n` replays the kill points.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { SeededRandom } from '../../src/base/random.js';
import { requireOracleBinaries } from '../helpers/binaries.js';
import { createKvClient, type KvTestClient } from '../helpers/grpc-client.js';
import { subjectKind } from '../helpers/oracle.js';
import { ServerProcess } from '../helpers/server.js';

const CRASH_ROUNDS = Number(process.env['CRASH_ROUNDS'] ?? 20);
const WRITERS = 8;
/** The kill lands once this many writes (at most) were acknowledged in the round. */
const ACKS_BEFORE_KILL_MAX = 60;
/** Wall-time budget: no new round starts after it (the file must stay under 2 minutes). */
const TIME_BUDGET_MS = Number(process.env['CRASH_TIME_BUDGET_MS'] ?? 95_000);
/** Fewer completed rounds than this within the budget fails the test (the subject is too slow). */
const ROUNDS_MIN = Math.min(5, CRASH_ROUNDS);
/** Per-RPC deadline, so a write stuck on a dead server fails fast. */
const CALL_TIMEOUT_MS = 5_000;
const PREFIX = 'crash/';

const seed = process.env['SEED'] === undefined ? Math.floor(Math.random() * 0x7fffffff) : Number(process.env['SEED']);
console.log('SEED=' + seed);

interface Ack { value: string; revision: number }

let server: ServerProcess | undefined;

after(async () => {
  await server?.cleanup();
});

/** One round's writers; resolves when every writer stopped (after its first error). */
class RoundWriters {
  private acks = 0;
  private killRequested = false;
  readonly errorsBeforeKill: string[] = [];
  private onThreshold: () => void = () => undefined;
  readonly thresholdReached = new Promise<void>((resolve) => { this.onThreshold = resolve; });

  constructor(private readonly client: KvTestClient, private readonly round: number,
    private readonly killAfterAcks: number, private readonly acked: Map<string, Ack>) {}

  run(): Promise<void[]> {
    return Promise.all(Array.from({ length: WRITERS }, (_, writer) => this.writer(writer)));
  }

  markKilled(): void {
    this.killRequested = true;
  }

  private async writer(writer: number): Promise<void> {
    for (let seq = 0; ; seq++) {
      const key = `${PREFIX}r${String(this.round).padStart(2, '0')}/w${writer}/${String(seq).padStart(5, '0')}`;
      const value = `value-${this.round}-${writer}-${seq}`;
      try {
        const res = await this.client.kv.put({ key: Buffer.from(key), value: Buffer.from(value) });
        this.acked.set(key, { value, revision: Number(res.header.revision) });
      } catch (error) {
        if (!this.killRequested) this.errorsBeforeKill.push(`${key}: ${(error as Error).message}`);
        return;
      }
      this.acks += 1;
      if (this.acks >= this.killAfterAcks) this.onThreshold();
      if (this.killRequested) return;
    }
  }
}

/** Checks every acknowledged write and returns the store revision seen. */
async function verifyAcked(client: KvTestClient, acked: Map<string, Ack>, round: number): Promise<number> {
  const end = Buffer.from(PREFIX);
  end[end.length - 1] = end[end.length - 1]! + 1;
  const res = await client.kv.range({ key: Buffer.from(PREFIX), range_end: end });
  const stored = new Map(res.kvs.map((kv) => [kv.key.toString('utf8'), kv]));
  const lost: string[] = [];
  for (const [key, ack] of acked) {
    const kv = stored.get(key);
    if (kv === undefined) lost.push(`${key} missing (acked at revision ${ack.revision})`);
    else if (kv.value.toString('utf8') !== ack.value) lost.push(`${key} = ${kv.value.toString('utf8')}, acked ${ack.value}`);
    else if (Number(kv.mod_revision) !== ack.revision) lost.push(`${key} mod_revision ${kv.mod_revision}, acked ${ack.revision}`);
  }
  assert.equal(lost.length, 0, `round ${round}: ${lost.length} acknowledged writes lost after SIGKILL ` +
    `(seed ${seed}):\n${lost.slice(0, 20).join('\n')}\nserver log: ${server?.logPath}`);
  return Number(res.header.revision);
}

test(`acknowledged writes survive ${CRASH_ROUNDS} SIGKILLs`, async () => {
  requireOracleBinaries();
  const random = new SeededRandom(seed);
  server = await ServerProcess.start({ kind: subjectKind(), name: 'crash' });
  const acked = new Map<string, Ack>();
  const startedAt = Date.now();
  let revisionFloor = 0;
  let rounds = 0;
  for (let round = 0; round < CRASH_ROUNDS && Date.now() - startedAt < TIME_BUDGET_MS; round++) {
    const client = createKvClient(server.endpoint, CALL_TIMEOUT_MS);
    try {
      revisionFloor = Math.max(revisionFloor, ...[...acked.values()].map((a) => a.revision));
      const revision = await verifyAcked(client, acked, round);
      assert.ok(revision >= revisionFloor,
        `round ${round}: store revision went backwards: ${revision} < ${revisionFloor} (seed ${seed})`);
      revisionFloor = revision;
      const writers = new RoundWriters(client, round, 1 + random.intBelow(ACKS_BEFORE_KILL_MAX), acked);
      const finished = writers.run();
      await Promise.race([writers.thresholdReached, finished]);
      writers.markKilled();
      await server.kill();
      await finished;
      assert.deepEqual(writers.errorsBeforeKill, [], `round ${round}: writes failed before the kill`);
    } finally {
      client.close();
    }
    await server.restart();
    rounds += 1;
  }
  console.log(`crash: ${rounds} of ${CRASH_ROUNDS} rounds in ${Date.now() - startedAt} ms, ${acked.size} acked writes`);
  assert.ok(rounds >= ROUNDS_MIN, `only ${rounds} crash rounds fit in ${TIME_BUDGET_MS} ms`);
  const client = createKvClient(server.endpoint, CALL_TIMEOUT_MS);
  try {
    const finalRevision = await verifyAcked(client, acked, rounds);
    assert.ok(finalRevision >= revisionFloor, `final revision ${finalRevision} < ${revisionFloor} (seed ${seed})`);
    assert.ok(acked.size >= rounds, `too few acknowledged writes (${acked.size}) to mean anything`);
  } finally {
    client.close();
  }
});
