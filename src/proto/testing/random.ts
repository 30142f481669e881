/**
 * Test/bench support: seeded random messages for any generated type, including 64-bit boundary values,
 * multi-byte UTF-8 and long fields (to exercise length-prefix widening).
 */
import type { Random } from '../../base/random.js';
import type { FieldInfo, MessageInfo } from './schema.js';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const SAFE_MAX = Number.MAX_SAFE_INTEGER;
const NESTING_MAX = 3;
const REPEATED_MAX = 4;
const STRING_POOL = ['', 'a', 'etcd', 'héllo', '日本語', '😀 emoji', 'x'.repeat(200), 'ü'.repeat(70)];

function pick<T>(random: Random, values: readonly T[]): T {
  return values[random.intBelow(values.length)]!;
}

function randomBigint(random: Random, signed: boolean): bigint {
  const special = signed
    ? [0n, 1n, -1n, INT64_MAX, INT64_MIN, 2n ** 32n, -(2n ** 53n)]
    : [0n, 1n, UINT64_MAX, 2n ** 63n, 2n ** 32n];
  if (random.intBelow(2) === 0) return pick(random, special);
  const bits = (BigInt(random.intBelow(2 ** 32)) << 32n) | BigInt(random.intBelow(2 ** 32));
  return signed ? BigInt.asIntN(64, bits) : bits;
}

function randomBytes(random: Random): Uint8Array {
  const length = random.intBelow(8) === 0 ? 130 + random.intBelow(300) : random.intBelow(24);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = random.intBelow(256);
  return out;
}

function randomScalar(random: Random, field: FieldInfo): unknown {
  switch (field.kind) {
    case 'int32': return pick(random, [0, 1, -1, 2147483647, -2147483648, random.intBelow(1000)]);
    case 'uint32': return pick(random, [0, 1, 4294967295, random.intBelow(2 ** 32)]);
    case 'sint32': return pick(random, [0, -1, 1, -2147483648, 2147483647]);
    case 'int64': case 'sint64':
      if (field.bigint) return randomBigint(random, true);
      return pick(random, [0, 1, -1, SAFE_MAX, -SAFE_MAX, 2 ** 31, 2 ** 32, random.intBelow(2 ** 40)]);
    case 'uint64':
      if (field.bigint) return randomBigint(random, false);
      return pick(random, [0, 1, SAFE_MAX, 2 ** 32, 2 ** 31, random.intBelow(2 ** 40)]);
    case 'bool': return random.intBelow(2) === 0;
    case 'string': return pick(random, STRING_POOL);
    case 'bytes': return randomBytes(random);
    case 'enum': return pick(random, field.enumValues);
    default: throw new Error(`unknown kind ${field.kind}`);
  }
}

/** A random message of `fullName` in the generated TypeScript shape (every field present). */
export function randomMessage(
  schema: Map<string, MessageInfo>, fullName: string, random: Random, depth = 0,
): Record<string, unknown> {
  const info = schema.get(fullName);
  if (info === undefined) throw new Error(`unknown message ${fullName}`);
  const out: Record<string, unknown> = {};
  const oneofChoice = new Map<string, string | undefined>();
  for (const field of info.fields) {
    if (field.oneof === undefined || oneofChoice.has(field.oneof)) continue;
    const members = info.fields.filter((f) => f.oneof === field.oneof);
    oneofChoice.set(field.oneof, random.intBelow(members.length + 1) === 0 ? undefined : pick(random, members).tsName);
  }
  for (const field of info.fields) {
    const value = (): unknown => (field.kind === 'message'
      ? randomMessage(schema, field.messageName, random, depth + 1) : randomScalar(random, field));
    if (field.repeated) {
      const count = field.kind === 'message' && depth >= NESTING_MAX ? 0 : random.intBelow(REPEATED_MAX);
      out[field.tsName] = Array.from({ length: count }, value);
    } else if (field.oneof !== undefined) {
      const chosen = oneofChoice.get(field.oneof) === field.tsName && !(field.kind === 'message' && depth >= NESTING_MAX);
      out[field.tsName] = chosen ? value() : undefined;
    } else if (field.kind === 'message') {
      out[field.tsName] = depth >= NESTING_MAX || random.intBelow(4) === 0 ? undefined : value();
    } else out[field.tsName] = random.intBelow(3) === 0 ? defaultOf(field) : value();
  }
  return out;
}

/** The proto3 default of a non-repeated, non-message field, in the generated shape. */
export function defaultOf(field: FieldInfo): unknown {
  switch (field.kind) {
    case 'bool': return false;
    case 'string': return '';
    case 'bytes': return new Uint8Array(0);
    default: return field.bigint ? 0n : 0;
  }
}
