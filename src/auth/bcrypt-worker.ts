/**
 * Worker-thread entry for bcrypt-pool.ts: receives { id, kind: 'hash' | 'verify', ... } messages and
 * answers { id, result } or { id, error }. Runs one task at a time; the pool queues the rest. Runs at a
 * lower CPU priority than the event loop.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { bcryptHash, bcryptVerify, warmUpBcrypt } from './bcrypt.js';

/**
 * Password hashing yields the CPU to the event loop under contention: on Linux the nice value is per
 * thread, so this lowers only this worker. Failure (other platforms, restricted containers) is harmless.
 */
const WORKER_NICE = 10;
try {
  setPriority(0, WORKER_NICE);
} catch {
  // keep the default priority
}

export type BcryptTask =
  | { id: number; kind: 'hash'; password: Uint8Array; cost: number; salt: Uint8Array }
  | { id: number; kind: 'verify'; password: Uint8Array; hash: string };

export type BcryptReply = { id: number; result: string | boolean } | { id: number; error: string };

// Blowfish's initial state (pi's digits) is computed now, before the first request waits for it.
warmUpBcrypt();

parentPort?.on('message', (task: BcryptTask) => {
  try {
    const result = task.kind === 'hash' ? bcryptHash(task.password, task.cost, task.salt)
      : bcryptVerify(task.hash, task.password);
    parentPort!.postMessage({ id: task.id, result } satisfies BcryptReply);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    parentPort!.postMessage({ id: task.id, error: message } satisfies BcryptReply);
  }
});
