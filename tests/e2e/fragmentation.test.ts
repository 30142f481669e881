/**
 * Fragmentation and defragmentation on a real tetcd process (issue 6): overwrite a few keys with 100 MB
 * of values and compact, so dbSize is many times dbSizeInUse; `etcdctl defrag` brings dbSize within 10%
 * of dbSizeInUse. Then fragment again and SIGKILL the member while a defrag is copying (its temp file
 * exists): it restarts on its data dir with the same hash and every key intact.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createKvClient, type KvTestClient } from '../helpers/grpc-client.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { ServerProcess } from '../helpers/server.js';
import { parseJsonWithBigIds } from '../helpers/cluster-member.js';

const KEYS = 12;
const VALUE_BYTES = 512 * 1024;
const TOTAL_BYTES = 100 * 1024 * 1024;
const WRITERS = 4;
const DEFRAG_TEMP_INFIX = '.defrag-';
const DEFRAG_TEMP_WAIT_MS = 30_000;

let server: ServerProcess | undefined;
after(async () => {
  await server?.cleanup();
});

interface Status { dbSize: number; dbSizeInUse: number; revision: number }

async function status(endpoint: string): Promise<Status> {
  const res = await runEtcdctl(endpoint, ['endpoint', 'status', '-w', 'json']);
  assert.equal(res.exitCode, 0, res.stderr);
  const [entry] = parseJsonWithBigIds(res.stdout) as Array<{
    Status: { dbSize: number; dbSizeInUse: number; header: { revision: number } };
  }>;
  assert.ok(entry !== undefined);
  return { dbSize: Number(entry.Status.dbSize), dbSizeInUse: Number(entry.Status.dbSizeInUse),
    revision: Number(entry.Status.header.revision) };
}

/**
 * Writes TOTAL_BYTES of values over KEYS keys; each writer owns its keys and writes them in turn, so
 * its last acknowledged value of a key is the stored one. Returns each key's latest value prefix.
 */
async function overwrite(client: KvTestClient, round: number): Promise<Map<string, string>> {
  const latest = new Map<string, string>();
  const writesPerWriter = Math.ceil(TOTAL_BYTES / VALUE_BYTES / WRITERS);
  await Promise.all(Array.from({ length: WRITERS }, async (_, w) => {
    const keys = Array.from({ length: KEYS / WRITERS }, (_k, j) => `frag/w${w}-k${j}`);
    for (let i = 0; i < writesPerWriter; i++) {
      const key = keys[i % keys.length]!;
      const head = `r${round}-w${w}-${i}:`;
      await client.kv.put({ key: Buffer.from(key), value: Buffer.from(head.padEnd(VALUE_BYTES, 'v')) });
      latest.set(key, head);
    }
  }));
  return latest;
}

async function compactAll(endpoint: string): Promise<void> {
  const { revision } = await status(endpoint);
  const res = await runEtcdctl(endpoint, ['compaction', '--physical', String(revision)]);
  assert.equal(res.exitCode, 0, res.stderr);
}

async function hashKv(endpoint: string): Promise<string> {
  const res = await runEtcdctl(endpoint, ['endpoint', 'hashkv', '-w', 'json']);
  assert.equal(res.exitCode, 0, res.stderr);
  return String((parseJsonWithBigIds(res.stdout) as Array<{ HashKV: { hash: unknown } }>)[0]!.HashKV.hash);
}

async function assertValues(client: KvTestClient, latest: ReadonlyMap<string, string>): Promise<void> {
  for (const [key, head] of latest) {
    const res = await client.kv.range({ key: Buffer.from(key) });
    const value = res.kvs[0]?.value;
    assert.ok(value !== undefined, `${key} missing`);
    assert.equal(value.length, VALUE_BYTES, `${key} has the wrong length`);
    assert.equal(value.subarray(0, head.length).toString(), head, `${key} has a stale value`);
  }
}

/** Resolves once a defrag temp file exists next to the backend file. */
async function defragTempAppears(snapDir: string): Promise<void> {
  const deadline = Date.now() + DEFRAG_TEMP_WAIT_MS;
  while (Date.now() < deadline) {
    if (readdirSync(snapDir).some((name) => name.includes(DEFRAG_TEMP_INFIX))) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.fail(`no ${DEFRAG_TEMP_INFIX}* file in ${snapDir} within ${DEFRAG_TEMP_WAIT_MS} ms`);
}

test('100 MB of overwrites + compaction fragment the db; defrag reclaims it; kill -9 during defrag is safe',
  { timeout: 300_000 }, async () => {
    server = await ServerProcess.start({ kind: 'tetcd' });
    const endpoint = server.endpoint;
    let client = createKvClient(endpoint, 30_000);
    const latest = await overwrite(client, 1);
    await compactAll(endpoint);
    const fragmented = await status(endpoint);
    console.log(`after 100 MB + compaction: dbSize ${fragmented.dbSize}, dbSizeInUse ${fragmented.dbSizeInUse}`);
    assert.ok(fragmented.dbSize > 5 * fragmented.dbSizeInUse,
      `expected dbSize >> dbSizeInUse, got ${fragmented.dbSize} vs ${fragmented.dbSizeInUse}`);

    const defrag = await runEtcdctl(endpoint, ['defrag']);
    assert.equal(defrag.exitCode, 0, defrag.stderr);
    const compacted = await status(endpoint);
    console.log(`after defrag: dbSize ${compacted.dbSize}, dbSizeInUse ${compacted.dbSizeInUse}`);
    assert.ok(Math.abs(compacted.dbSize - compacted.dbSizeInUse) <= 0.1 * compacted.dbSizeInUse,
      `dbSize ${compacted.dbSize} not within 10% of dbSizeInUse ${compacted.dbSizeInUse}`);
    await assertValues(client, latest);

    const latest2 = await overwrite(client, 2);
    await compactAll(endpoint);
    const hashBefore = await hashKv(endpoint);
    const snapDir = join(server.dataDir, 'member', 'snap');
    const running = runEtcdctl(endpoint, ['defrag', '--command-timeout=10s'], { timeoutMs: 30_000 });
    await defragTempAppears(snapDir);
    await server.kill();
    const interrupted = await running;
    console.log(`defrag interrupted by kill -9: exit ${interrupted.exitCode} ${interrupted.stderr.trim()}`);
    client.close();

    await server.restart();
    client = createKvClient(endpoint, 30_000);
    try {
      assert.equal(await hashKv(endpoint), hashBefore, 'hash changed across a crash during defrag');
      await assertValues(client, latest2);
      assert.deepEqual(readdirSync(snapDir).filter((n) => n.includes(DEFRAG_TEMP_INFIX)), [],
        'defrag leftovers must be removed on restart');
    } finally {
      client.close();
    }
  });
