/**
 * The simulated application: a register per key with put and compare-and-set, plus a session table
 * (last applied operation id per client) so that a proposal delivered twice by the network is applied
 * once (Raft dissertation §6.3). Every applied entry also extends a hash chain, so two nodes that
 * applied different histories up to the same index disagree on the chain value at that index.
 */
import { assert } from '../base/assert.js';
import { entryFingerprint, fnv1aNumber } from './hash.js';

export type KvCommand =
  | { kind: 'put'; client: number; op: number; key: string; value: string }
  | { kind: 'cas'; client: number; op: number; key: string; expected: string | null; value: string };

/** Outcome of applying one command (duplicates are not applied again). */
export interface KvResult {
  duplicate: boolean;
  /** put: always true; cas: whether the comparison held. */
  ok: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a command as an entry payload. */
export function encodeCommand(command: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

/** Decodes an entry payload; throws AssertionError if it is not a well-formed command. */
export function decodeCommand(data: Uint8Array): KvCommand {
  const value = JSON.parse(decoder.decode(data)) as KvCommand;
  assert(value.kind === 'put' || value.kind === 'cas', 'bad command kind');
  assert(Number.isSafeInteger(value.client) && Number.isSafeInteger(value.op), 'bad command ids');
  return value;
}

interface KvImage {
  index: number;
  chain: number;
  kv: [string, string][];
  sessions: [number, number][];
}

export class KvStateMachine {
  private readonly values = new Map<string, string>();
  private readonly sessions = new Map<number, number>();
  /** Hash of every entry applied so far (including no-ops and conf changes). */
  chain = 0;
  /** Index of the last applied entry. */
  appliedIndex = 0;

  /** Restores a state machine from a snapshot image (or an empty one for `undefined`/empty data). */
  static fromImage(data: Uint8Array | undefined, index: number): KvStateMachine {
    const machine = new KvStateMachine();
    machine.appliedIndex = index;
    if (data === undefined || data.length === 0) return machine;
    const image = JSON.parse(decoder.decode(data)) as KvImage;
    assert(image.index === index, `snapshot image index ${image.index} != metadata index ${index}`);
    machine.chain = image.chain;
    for (const [k, v] of image.kv) machine.values.set(k, v);
    for (const [c, op] of image.sessions) machine.sessions.set(c, op);
    return machine;
  }

  /** Serializes the state (sorted, so equal states give equal bytes). */
  toImage(): Uint8Array {
    const image: KvImage = {
      index: this.appliedIndex,
      chain: this.chain,
      kv: [...this.values.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      sessions: [...this.sessions.entries()].sort((a, b) => a[0] - b[0]),
    };
    return encoder.encode(JSON.stringify(image));
  }

  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  /**
   * Records that the entry at `index` was applied (extends the chain). Every entry must pass through
   * here exactly once and in order. Throws AssertionError on a gap.
   */
  advance(term: number, index: number, type: number, data: Uint8Array): void {
    assert(index === this.appliedIndex + 1, `apply gap: applied ${this.appliedIndex}, got ${index}`);
    this.chain = fnv1aNumber(entryFingerprint(term, index, type, data), this.chain);
    this.appliedIndex = index;
  }

  /** Executes a command (after advance() for its entry). */
  execute(command: KvCommand): KvResult {
    const last = this.sessions.get(command.client) ?? 0;
    if (command.op <= last) return { duplicate: true, ok: false };
    this.sessions.set(command.client, command.op);
    if (command.kind === 'put') {
      this.values.set(command.key, command.value);
      return { duplicate: false, ok: true };
    }
    const current = this.get(command.key);
    if (current !== command.expected) return { duplicate: false, ok: false };
    this.values.set(command.key, command.value);
    return { duplicate: false, ok: true };
  }
}
