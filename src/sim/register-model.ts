/**
 * The sequential specification of one key of the simulated KV: a register holding a string or null,
 * with put, get and compare-and-set. An undefined output means "outcome unknown" (timed-out client):
 * any outcome is accepted and the operation's effect is whatever the state dictates.
 */
import type { Model, Operation } from './linearizability.js';

export type RegisterInput =
  | { kind: 'put'; value: string }
  | { kind: 'get' }
  | { kind: 'cas'; expected: string | null; value: string };

export type RegisterOutput =
  | { kind: 'put' }
  | { kind: 'get'; value: string | null }
  | { kind: 'cas'; ok: boolean }
  | undefined;

export type RegisterState = string | null;

export type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

export const registerModel: Model<RegisterState, RegisterInput, RegisterOutput> = {
  init: () => null,
  step(state, input, output) {
    switch (input.kind) {
      case 'put':
        return input.value;
      case 'get':
        if (output === undefined) return state;
        return output.kind === 'get' && output.value === state ? state : undefined;
      case 'cas': {
        const holds = state === input.expected;
        if (output !== undefined && (output.kind !== 'cas' || output.ok !== holds)) return undefined;
        return holds ? input.value : state;
      }
    }
  },
  stateKey: (state) => (state === null ? '\u0000' : state),
};

/** Renders an operation for failure reports. */
export function describeRegisterOp(op: RegisterOperation): string {
  const input = op.input.kind === 'get' ? 'get()'
    : op.input.kind === 'put' ? `put(${op.input.value})`
      : `cas(${String(op.input.expected)}->${op.input.value})`;
  const output = op.output === undefined ? '?'
    : op.output.kind === 'get' ? String(op.output.value)
      : op.output.kind === 'cas' ? String(op.output.ok) : 'ok';
  const ret = Number.isFinite(op.returnTime) ? String(op.returnTime) : 'inf';
  return `c${op.client} [${op.callTime},${ret}] ${input} -> ${output}`;
}
