/**
 * The requests a node holds for clients: writes waiting to be applied (keyed by client and op id, which
 * the command carries), reads waiting for their ReadState (keyed by request context) and reads waiting
 * for the applied index to reach their read index. Lost entirely when the node crashes.
 */
import type { ClientOp, ClientSink } from './client-ops.js';
import { opKey } from './client-ops.js';
import type { KvStateMachine } from './kv.js';

const decoder = new TextDecoder();

export class ClientRequests {
  private readonly writes = new Map<string, ClientOp>();
  private readonly reads = new Map<string, ClientOp>();
  private awaitingApply: { index: number; op: ClientOp }[] = [];

  constructor(private readonly sink: ClientSink) {}

  addWrite(op: ClientOp): void {
    this.writes.set(opKey(op.client, op.opId), op);
  }

  addRead(op: ClientOp): void {
    this.reads.set(opKey(op.client, op.opId), op);
  }

  /** Removes `op` wherever it waits (the client gave up on it). */
  forget(op: ClientOp): void {
    this.writes.delete(opKey(op.client, op.opId));
    this.reads.delete(opKey(op.client, op.opId));
    this.awaitingApply = this.awaitingApply.filter((read) => read.op !== op);
  }

  clear(): void {
    this.writes.clear();
    this.reads.clear();
    this.awaitingApply = [];
  }

  /** The write (client, opId) was applied with this outcome: answer its client if it waits here. */
  writeApplied(client: number, opId: number, output: { kind: 'put' } | { kind: 'cas'; ok: boolean }): void {
    const key = opKey(client, opId);
    const op = this.writes.get(key);
    if (op === undefined) return;
    this.writes.delete(key);
    this.sink.complete(op, output);
  }

  /** A ReadState arrived: the read may be served once applied >= index. */
  readState(index: number, requestCtx: Uint8Array): void {
    const context = decoder.decode(requestCtx);
    const op = this.reads.get(context);
    if (op === undefined) return;
    this.reads.delete(context);
    this.awaitingApply.push({ index, op });
  }

  /** Serves every read whose read index is applied, from the state machine as it is now. */
  serveReads(kv: KvStateMachine): void {
    if (this.awaitingApply.length === 0) return;
    const waiting: { index: number; op: ClientOp }[] = [];
    for (const read of this.awaitingApply) {
      if (read.index > kv.appliedIndex) waiting.push(read);
      else this.sink.complete(read.op, { kind: 'get', value: kv.get(read.op.key) });
    }
    this.awaitingApply = waiting;
  }
}
