/**
 * Test/bench support: loads tetcd's .proto files into protobufjs (reflection) and converts messages
 * between the generated shape and protobufjs's (Long for 64-bit, fields matched by number because
 * protobufjs camel-cases names differently, e.g. `remaining_TTL`). Not used by production code.
 */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import Long from 'long';
import { PROTO_ROOT, protoFiles, type MessageInfo } from './schema.js';

/** A protobufjs Root holding every tetcd .proto file. */
export function loadPbjsRoot(): protobuf.Root {
  protobuf.util.Long = Long;
  protobuf.configure();
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => join(PROTO_ROOT, target);
  root.loadSync(protoFiles(), { keepCase: true });
  root.resolveAll();
  return root;
}

function isDefault(value: unknown): boolean {
  if (value === undefined || value === false || value === 0 || value === 0n || value === '') return true;
  if (value instanceof Uint8Array || Array.isArray(value)) return value.length === 0;
  return false;
}

function toLong(value: unknown, unsigned: boolean): unknown {
  if (typeof value === 'bigint') {
    const bits = BigInt.asUintN(64, value);
    return Long.fromBits(Number(bits & 0xffffffffn) | 0, Number(bits >> 32n) | 0, unsigned);
  }
  return value;
}

/** Generated-shape message → plain object for protobufjs `Type.fromObject`-free encoding. */
export function toPbjs(schema: Map<string, MessageInfo>, fullName: string, message: Record<string, unknown>):
  Record<string, unknown> {
  const info = schema.get(fullName)!;
  const out: Record<string, unknown> = {};
  for (const field of info.fields) {
    const value = message[field.tsName];
    if (field.oneof === undefined ? isDefault(value) : value === undefined) continue;
    const convert = (v: unknown): unknown => (field.kind === 'message'
      ? toPbjs(schema, field.messageName, v as Record<string, unknown>) : toLong(v, field.kind === 'uint64'));
    out[field.protoName] = field.repeated ? (value as unknown[]).map(convert) : convert(value);
  }
  return out;
}

function fromLong(value: unknown, bigint: boolean): unknown {
  if (Long.isLong(value)) {
    const text = (value as Long).toString();
    return bigint ? BigInt(text) : Number(text);
  }
  if (typeof value === 'number' && bigint) return BigInt(value);
  return value;
}

/** protobufjs decoded message → generated shape (defaults filled like our decoder). */
export function fromPbjs(schema: Map<string, MessageInfo>, fullName: string, message: Record<string, unknown>):
  Record<string, unknown> {
  const info = schema.get(fullName)!;
  const out: Record<string, unknown> = {};
  for (const field of info.fields) {
    const has = Object.prototype.hasOwnProperty.call(message, field.protoName);
    const value = has ? message[field.protoName] : undefined;
    const convert = (v: unknown): unknown => {
      if (field.kind === 'message') return fromPbjs(schema, field.messageName, v as Record<string, unknown>);
      if (v instanceof Uint8Array) return new Uint8Array(v);
      return fromLong(v, field.bigint);
    };
    if (field.repeated) out[field.tsName] = ((value ?? []) as unknown[]).map(convert);
    else if (field.oneof !== undefined || field.kind === 'message') out[field.tsName] = has ? convert(value) : undefined;
    else out[field.tsName] = has ? convert(value) : defaultFor(field.kind, field.bigint);
  }
  return out;
}

function defaultFor(kind: string, bigint: boolean): unknown {
  if (kind === 'bool') return false;
  if (kind === 'string') return '';
  if (kind === 'bytes') return new Uint8Array(0);
  return bigint ? 0n : 0;
}
