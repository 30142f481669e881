/**
 * A small pool of worker threads that run bcrypt (hash and verify) off the event loop, so password
 * checks (including a flood of wrong passwords) never stall other clients. Tasks queue FIFO; at most
 * `queueMax` wait, beyond that they fail with ERR_TOO_MANY_REQUESTS. Workers start on first use and
 * are unref'd while idle so they never keep a process alive.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { assert } from '../base/assert.js';
import { etcdError } from '../base/errors.js';
import { BCRYPT_SALT_BYTES } from './bcrypt.js';
import type { BcryptReply, BcryptTask } from './bcrypt-worker.js';

/** Tasks allowed to wait for a worker before new ones are refused. */
export const BCRYPT_QUEUE_MAX = 100_000;

type Pending = { task: BcryptTask; resolve: (value: string | boolean) => void; reject: (error: Error) => void };

/** Distributive Omit over the task union (without the pool-assigned id). */
type TaskInput = BcryptTask extends infer T ? T extends BcryptTask ? Omit<T, 'id'> : never : never;

export class BcryptPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<Worker, Pending>();
  private nextId = 1;
  private closed = false;

  /** `size` defaults to one worker per CPU beyond the first (at least one). */
  constructor(private readonly size = Math.max(1, availableParallelism() - 1),
    private readonly queueMax = BCRYPT_QUEUE_MAX) {
    assert(size >= 1, 'bcrypt pool needs at least one worker');
  }

  /** The `$2a$` hash of `password` at `cost` with a fresh random salt. Rejects on a bad cost. */
  async hash(password: string, cost: number): Promise<string> {
    const salt = new Uint8Array(randomBytes(BCRYPT_SALT_BYTES));
    return await this.run({ kind: 'hash', password: new TextEncoder().encode(password), cost, salt }) as string;
  }

  /** True when `password` matches `hash`. Rejects with ERR_TOO_MANY_REQUESTS when the queue is full. */
  async verify(hash: string, password: string): Promise<boolean> {
    return await this.run({ kind: 'verify', password: new TextEncoder().encode(password), hash }) as boolean;
  }

  /** Starts the workers now (each computes Blowfish's initial state at start) so the first check is fast. */
  warmUp(): void {
    while (!this.closed && this.all.length < this.size) {
      const worker = this.spawn()!;
      worker.unref();
      this.idle.push(worker);
    }
  }

  /** Tasks waiting for a worker (not counting those running). */
  queued(): number {
    return this.queue.length;
  }

  /** Terminates the workers; queued tasks fail with ERR_STOPPED. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(etcdError('ERR_STOPPED'));
    for (const pending of this.running.values()) pending.reject(etcdError('ERR_STOPPED'));
    this.running.clear();
    await Promise.all(this.all.map((worker) => worker.terminate()));
  }

  private run(input: TaskInput): Promise<string | boolean> {
    if (this.closed) return Promise.reject(etcdError('ERR_STOPPED'));
    if (this.queue.length >= this.queueMax) return Promise.reject(etcdError('ERR_TOO_MANY_REQUESTS'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task: { ...input, id: this.nextId++ } as BcryptTask, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? this.spawn();
      if (worker === undefined) return;
      const pending = this.queue.shift()!;
      this.running.set(worker, pending);
      worker.ref();
      worker.postMessage(pending.task);
    }
  }

  private spawn(): Worker | undefined {
    if (this.all.length >= this.size) return undefined;
    const worker = import.meta.url.endsWith('.ts') ? sourceWorker() : new Worker(new URL('./bcrypt-worker.js', import.meta.url));
    worker.on('message', (reply: BcryptReply) => this.settle(worker, reply));
    worker.on('error', (error) => this.fail(worker, error));
    this.all.push(worker);
    return worker;
  }

  private settle(worker: Worker, reply: BcryptReply): void {
    const pending = this.running.get(worker);
    this.running.delete(worker);
    if (pending !== undefined && pending.task.id === reply.id) {
      if ('error' in reply) pending.reject(new Error(reply.error));
      else pending.resolve(reply.result);
    }
    worker.unref();
    this.idle.push(worker);
    this.dispatch();
  }

  private fail(worker: Worker, error: Error): void {
    const pending = this.running.get(worker);
    this.running.delete(worker);
    pending?.reject(error);
    this.all.splice(this.all.indexOf(worker), 1);
    void worker.terminate();
    if (!this.closed) this.dispatch();
  }
}

/** From sources (tests run through tsx) the worker is TypeScript: register tsx's loader in it first. */
function sourceWorker(): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./bcrypt-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`,
    { eval: true });
}
