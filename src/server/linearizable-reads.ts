/**
 * Linearizable reads through Raft's ReadIndex. Reads that arrive while no ReadIndex round is being
 * started are batched: all reads queued before a round starts share its read state, and each is released
 * once the applied index reaches the read index (so it observes every write acknowledged before it).
 */
import { assert } from '../base/assert.js';
import { etcdError } from '../base/errors.js';
import type { ReadState } from '../raft/types.js';

interface PendingRead { resolve: () => void; reject: (error: unknown) => void; timer: NodeJS.Timeout }

export class LinearizableReads {
  private queued: PendingRead[] = [];
  private readonly inflight = new Map<string, PendingRead[]>();
  /** When each in-flight round was (re)sent, to resend rounds raft dropped (no leader yet, lost message). */
  private readonly sentAtMs = new Map<string, { ctx: Uint8Array; atMs: number }>();
  private nextRound = 1n;
  private applied = 0;
  private appliedWaiters: Array<{ index: number; reads: PendingRead[] }> = [];

  constructor(
    private readonly requestReadIndex: (ctx: Uint8Array) => void,
    private readonly wake: () => void,
    private readonly timeoutMs: number,
    private readonly resendAfterMs: number,
  ) {
    assert(timeoutMs > 0, 'read timeout must be positive');
  }

  /** Resolves when a read issued now may be served locally; rejects with ERR_TIMEOUT. */
  wait(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const read: PendingRead = {
        resolve, reject,
        timer: setTimeout(() => this.expire(read), this.timeoutMs),
      };
      this.queued.push(read);
      this.wake();
    });
  }

  /** Called by the Ready loop before taking a Ready: starts one round for everything queued. */
  startRound(): void {
    this.resendStale();
    if (this.queued.length === 0) return;
    const ctx = new Uint8Array(8);
    new DataView(ctx.buffer).setBigUint64(0, this.nextRound++);
    this.inflight.set(ctxKey(ctx), this.queued);
    this.sentAtMs.set(ctxKey(ctx), { ctx, atMs: performance.now() });
    this.queued = [];
    this.requestReadIndex(ctx);
  }

  /** Raft silently drops a read index request when it has no leader: ask again after a while. */
  private resendStale(): void {
    if (this.sentAtMs.size === 0) return;
    const now = performance.now();
    for (const [key, sent] of this.sentAtMs) {
      if (!this.inflight.has(key)) { this.sentAtMs.delete(key); continue; }
      if (now - sent.atMs < this.resendAfterMs) continue;
      sent.atMs = now;
      this.requestReadIndex(sent.ctx);
    }
  }

  onReadStates(states: ReadState[]): void {
    for (const state of states) {
      const reads = this.inflight.get(ctxKey(state.requestCtx));
      if (reads === undefined) continue;
      this.inflight.delete(ctxKey(state.requestCtx));
      this.sentAtMs.delete(ctxKey(state.requestCtx));
      if (state.index <= this.applied) release(reads);
      else this.appliedWaiters.push({ index: state.index, reads });
    }
  }

  onApplied(index: number): void {
    assert(index >= this.applied, 'applied index went backwards');
    this.applied = index;
    if (this.appliedWaiters.length === 0) return;
    const ready = this.appliedWaiters.filter((w) => w.index <= index);
    this.appliedWaiters = this.appliedWaiters.filter((w) => w.index > index);
    for (const w of ready) release(w.reads);
  }

  /** Fails every pending read (leader loss, shutdown). */
  failAll(error: unknown): void {
    const all = [...this.queued, ...[...this.inflight.values()].flat(), ...this.appliedWaiters.flatMap((w) => w.reads)];
    this.queued = [];
    this.inflight.clear();
    this.sentAtMs.clear();
    this.appliedWaiters = [];
    for (const read of all) {
      clearTimeout(read.timer);
      read.reject(error);
    }
  }

  private expire(read: PendingRead): void {
    this.queued = this.queued.filter((r) => r !== read);
    for (const [key, reads] of this.inflight) {
      const rest = reads.filter((r) => r !== read);
      if (rest.length === 0) this.inflight.delete(key);
      else this.inflight.set(key, rest);
    }
    for (const w of this.appliedWaiters) w.reads = w.reads.filter((r) => r !== read);
    read.reject(etcdError('ERR_TIMEOUT'));
  }
}

function release(reads: PendingRead[]): void {
  for (const read of reads) {
    clearTimeout(read.timer);
    read.resolve();
  }
}

function ctxKey(ctx: Uint8Array): string {
  return Buffer.from(ctx).toString('hex');
}
