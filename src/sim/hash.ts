/**
 * Small, fast, deterministic hashes for the simulator: entry fingerprints, state-machine hash chains and
 * the event-trace digest that proves replay determinism. Not cryptographic.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a (32-bit) of `bytes`, continuing from `start`. */
export function fnv1aBytes(bytes: Uint8Array, start: number = FNV_OFFSET): number {
  let h = start >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** Mixes one safe integer (any sign, up to 2^53) into a 32-bit FNV state. */
export function fnv1aNumber(value: number, start: number = FNV_OFFSET): number {
  let h = start >>> 0;
  let low = value >>> 0;
  let high = Math.floor(value / 4294967296) >>> 0;
  for (let i = 0; i < 4; i++) {
    h = Math.imul(h ^ (low & 0xff), FNV_PRIME);
    low >>>= 8;
  }
  for (let i = 0; i < 4; i++) {
    h = Math.imul(h ^ (high & 0xff), FNV_PRIME);
    high >>>= 8;
  }
  return h >>> 0;
}

/** FNV-1a (32-bit) of a string's UTF-16 code units. */
export function fnv1aString(text: string, start: number = FNV_OFFSET): number {
  let h = start >>> 0;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  }
  return h >>> 0;
}

/** A fingerprint of an entry's identity and payload (term, index, type, data), as 8 hex digits. */
export function entryFingerprint(term: number, index: number, type: number, data: Uint8Array): number {
  let h = fnv1aNumber(term);
  h = fnv1aNumber(index, h);
  h = fnv1aNumber(type, h);
  return fnv1aBytes(data, h);
}

/**
 * A running digest of simulator events. Two runs of the same seed must produce the same digest; any
 * divergence in scheduling, delivery or raft output changes it. Two independent 32-bit lanes give 64 bits.
 */
export class TraceDigest {
  private laneA = FNV_OFFSET;
  private laneB = 0x01234567;
  private eventCount = 0;

  /** When set, every event is also handed to this function (the CLI's --trace). */
  tracer: ((values: readonly number[]) => void) | undefined = undefined;

  /** Folds a tuple of safe integers into the digest (word-wise FNV: cheap enough for every event). */
  add(...values: number[]): void {
    if (this.tracer !== undefined) this.tracer(values);
    let a = this.laneA;
    let b = this.laneB;
    for (const value of values) {
      const low = value >>> 0;
      const high = Math.floor(value / 4294967296) >>> 0;
      a = Math.imul(Math.imul(a ^ low, FNV_PRIME) ^ high, FNV_PRIME);
      b = Math.imul(Math.imul(b ^ high, 0x5bd1e995) ^ low, 0x5bd1e995) ^ (b >>> 15);
    }
    this.laneA = a >>> 0;
    this.laneB = b >>> 0;
    this.eventCount += 1;
  }

  get events(): number {
    return this.eventCount;
  }

  /** 16 hex digits. */
  hex(): string {
    return this.laneA.toString(16).padStart(8, '0') + this.laneB.toString(16).padStart(8, '0');
  }
}

/** Names of trace event kinds (the first value of each digest tuple) and of the values after it. */
export const TRACE_EVENT_NAMES: Readonly<Record<number, string>> = {
  1: 'start node incarnation term commit',
  2: 'crash node incarnation',
  3: 'ready node entries committed messages term commit mustSync state',
  4: 'install-snapshot node index term',
  5: 'conf-applied node index voters learners',
  6: 'local-snapshot node index',
  7: 'client-invoke client op node',
  8: 'client-complete client op',
  9: 'deliver from to type term index entries commit',
  10: 'partition-heal tick',
  11: 'partition-start tick healTick',
  12: 'conf-propose leader changes type*100+node...',
  13: 'transfer leader target',
  14: 'liveness-start tick',
  15: 'isolate node',
  16: 'rejoin node',
  17: 'figure8-phase phase(A=65) first second entryIndex',
};

/** Renders one trace event as text. */
export function formatTraceEvent(tick: number, values: readonly number[]): string {
  const names = (TRACE_EVENT_NAMES[values[0] ?? 0] ?? `event-${values[0]}`).split(' ');
  const parts = [`t=${tick}`, names[0]!];
  for (let i = 1; i < values.length; i++) parts.push(`${names[i] ?? '?'}=${values[i]}`);
  return parts.join(' ');
}
