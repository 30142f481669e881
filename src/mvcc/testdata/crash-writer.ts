/**
 * Test fixture (crash.test.ts): applies "raft entries" 1, 2, 3, ... each as one write txn putting
 * key k<i> plus setConsistentIndex(i), yielding to the event loop every few entries so commits run,
 * until it is SIGKILLed. Usage: node --import tsx crash-writer.ts <db path> <entries per turn>
 */
import { Backend } from '../../backend/backend.js';
import { MvccStore } from '../store.js';

const [path, perTurnText] = process.argv.slice(2);
const backend = await Backend.open(path!, { batchLimit: 500, batchIntervalMs: 5 });
const store = await MvccStore.open(backend);
const perTurn = Number(perTurnText);
const value = new Uint8Array(200).fill(0x61);
let index = store.consistentIndex();
process.stdout.write('ready\n');
for (;;) {
  for (let i = 0; i < perTurn; i++) {
    index++;
    const txn = store.write();
    txn.put(new TextEncoder().encode(`k${index}`), value, 0n);
    store.setConsistentIndex(index);
    txn.end();
  }
  await new Promise((resolve) => setImmediate(resolve));
}
