/**
 * The recorded history of a robustness run: every client operation with its invocation and completion
 * time (monotonic ms since the run started) and response, and every watch response. A write whose call
 * failed or timed out has `completeMs === null`: it may or may not have taken effect.
 */
import * as pb from '../../src/proto/gen/etcdserverpb.js';
import type { KeyValue } from '../../src/proto/gen/mvccpb.js';

export type OpKind = 'put' | 'get' | 'delete' | 'cas' | 'leaseGrant' | 'leaseRevoke' | 'leaseKeepAlive' | 'list' |
  'leaseExpire';

/** A key-value as a response or event carries it (strings, lease id in decimal). */
export interface Kv { key: string; value: string; mod: number; create: number; ver: number; lease: string }

export interface Op {
  id: number;
  client: number;
  member: string;
  kind: OpKind;
  key?: string;
  /** Exclusive range end for 'list'. */
  rangeEnd?: string;
  value?: string;
  lease?: string;
  /** 'cas': the compared mod_revision (0 = key absent). */
  expectMod?: number;
  /** 'cas': delete instead of put on success. */
  thenDelete?: boolean;
  serializable?: boolean;
  limit?: number;
  /** 'list': requested revision (0 = latest). */
  atRevision?: number;
  invokeMs: number;
  /** null: the call failed or timed out (a write is then indeterminate). */
  completeMs: number | null;
  error?: string;
  /** Response header revision. */
  rev?: number;
  kvs?: Kv[];
  more?: boolean;
  count?: number;
  succeeded?: boolean;
  deleted?: number;
  /** 'leaseGrant' / 'leaseKeepAlive': the TTL (seconds) requested and then the one answered (0: lease gone). */
  ttl?: number;
}

export type EventType = 'put' | 'delete';
export interface WatchEvent { type: EventType; kv: Kv }

export interface WatchResponseRecord {
  atMs: number;
  /** Header revision. */
  rev: number;
  events: WatchEvent[];
  created?: boolean;
  canceled?: boolean;
  compactRevision?: number;
}

/** One watch stream: from `startRev` until it failed or the run ended. */
export interface WatchSegment { watcher: number; member: string; startRev: number; responses: WatchResponseRecord[] }

export interface FaultRecord {
  name: string; target: string; startMs: number; endMs: number; ok: boolean; note?: string;
}

export interface History {
  seed: number;
  profile: string;
  members: number;
  ops: Op[];
  watches: WatchSegment[];
  faults: FaultRecord[];
}

const decoder = new TextDecoder();
export const text = (b: Uint8Array): string => decoder.decode(b);
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

export function toKv(kv: KeyValue): Kv {
  return { key: text(kv.key), value: text(kv.value), mod: kv.modRevision, create: kv.createRevision, ver: kv.version,
    lease: kv.lease.toString() };
}

export function toEvent(e: { type: number; kv: KeyValue | undefined }): WatchEvent {
  if (e.kv === undefined) throw new Error('watch event without kv');
  return { type: e.type === 1 ? 'delete' : 'put', kv: toKv(e.kv) };
}

/** Collects operations; `now()` is monotonic ms since the recorder was created. */
export class Recorder {
  readonly ops: Op[] = [];
  readonly watches: WatchSegment[] = [];
  readonly faults: FaultRecord[] = [];
  private readonly t0 = performance.now();
  private nextId = 1;

  now(): number {
    return performance.now() - this.t0;
  }

  /** Records an invocation; complete it by filling the returned op. */
  invoke(init: Omit<Op, 'id' | 'invokeMs' | 'completeMs'>): Op {
    const op: Op = { ...init, id: this.nextId++, invokeMs: this.now(), completeMs: null };
    this.ops.push(op);
    return op;
  }

  complete(op: Op, fill: Partial<Op>): void {
    Object.assign(op, fill);
    op.completeMs = this.now();
  }

  fail(op: Op, error: unknown): void {
    op.error = error instanceof Error ? error.message : String(error);
    op.completeMs = null;
  }

  history(seed: number, profile: string, members: number): History {
    return { seed, profile, members, ops: this.ops, watches: this.watches, faults: this.faults };
  }
}

export { pb };
