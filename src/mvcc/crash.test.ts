import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SeededRandom } from '../base/random.js';
import { closeStore, enc, openStore, tempDbPath } from './test-util.js';

const SEED = Number(process.env.SEED ?? Date.now() % 2 ** 31);
console.log('SEED=' + SEED);
const WRITER = fileURLToPath(new URL('./testdata/crash-writer.ts', import.meta.url));
const ROUNDS = 3;

/** Starts the writer, waits until it is ready, lets it run `runMs`, then SIGKILLs it. */
async function runAndKill(path: string, perTurn: number, runMs: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, String(perTurn)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`writer exited early: ${code}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, runMs));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

test('after SIGKILL, exactly the entries up to the committed consistent index are present', async () => {
  const random = new SeededRandom(SEED);
  const path = tempDbPath();
  let lastIndex = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await runAndKill(path, 1 + random.intBelow(50), 100 + random.intBelow(400));
    const opened = await openStore(path);
    const { store } = opened;
    const index = store.consistentIndex();
    assert.ok(index >= lastIndex, `consistent index went backwards: ${index} < ${lastIndex}`);
    assert.equal(store.currentRevision(), index + 1, 'one revision per applied entry');
    const count = store.range(enc('k'), enc('l'), { countOnly: true }).count;
    assert.equal(count, index, 'every entry up to the consistent index, and none after it');
    if (index > 0) assert.equal(store.range(enc(`k${index}`), enc(''), {}).kvs.length, 1);
    assert.equal(store.range(enc(`k${index + 1}`), enc(''), {}).kvs.length, 0);
    lastIndex = index;
    await closeStore(opened);
  }
  assert.ok(lastIndex > 0, 'the writer committed something');
});
