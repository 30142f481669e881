/**
 * Client operations of the simulated workload and their record in the history. Times are positions in
 * the simulator's global event order (a counter), which is finer than ticks: two events in the same tick
 * are still ordered, so the linearizability check loses no precision.
 */
import type { RegisterInput, RegisterOutput } from './register-model.js';

export interface ClientOp {
  client: number;
  opId: number;
  key: string;
  input: RegisterInput;
  /** Node the client sent the request to. */
  node: number;
  invokeTick: number;
  deadlineTick: number;
  callTime: number;
}

/** Where a node hands finished client requests. */
export interface ClientSink {
  complete(op: ClientOp, output: Exclude<RegisterOutput, undefined>): void;
}

/** Request-context bytes for a ReadIndex request of `op`. */
export function readContext(op: ClientOp): Uint8Array {
  return new TextEncoder().encode(`r${op.client}.${op.opId}`);
}

/** Key under which a node remembers an outstanding request (writes by command ids, reads by context). */
export function opKey(client: number, opId: number): string {
  return `r${client}.${opId}`;
}
