/**
 * Protobuf messages ⇄ JSON as etcd's grpc-gateway (jsonpb, OrigName) writes and reads them: proto field
 * names (`create_revision`; camelCase accepted on input), bytes as base64, 64-bit integers as strings,
 * enums by name, default values omitted. Driven by the generated table json-schema.gen.ts.
 */
import { ENUMS, MESSAGES } from './json-schema.gen.js';
import { FIELD_BIGINT, FIELD_ONEOF, FIELD_REPEATED, type JsonFieldSpec } from './json-types.js';

/** A request body that cannot be turned into the request message (grpc-gateway answers InvalidArgument). */
export class GatewayJsonError extends Error {
  override readonly name = 'GatewayJsonError';
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64_URL = /^[A-Za-z0-9_-]*={0,2}$/;
const INTEGER = /^-?\d+$/;
const INT32_MIN = -(2 ** 31);
const UINT32_MAX = 2 ** 32 - 1;

function fieldsOf(typeName: string): readonly JsonFieldSpec[] {
  const fields = MESSAGES[typeName];
  if (fields === undefined) throw new Error(`gateway: no JSON schema for ${typeName}`);
  return fields;
}

/** The JSON object of `message` (a generated message object of type `typeName`). */
export function messageToJson(typeName: string, message: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const record = message as Record<string, unknown>;
  for (const field of fieldsOf(typeName)) {
    const value = record[field[1]];
    if (value === undefined) continue;
    if ((field[3] & FIELD_REPEATED) !== 0) {
      const items = value as unknown[];
      if (items.length > 0) out[field[0]] = items.map((item) => valueToJson(field, item));
      continue;
    }
    // jsonpb writes a set oneof member even when it holds its type's default.
    if ((field[3] & FIELD_ONEOF) === 0 && isDefault(field, value)) continue;
    out[field[0]] = valueToJson(field, value);
  }
  return out;
}

function isDefault(field: JsonFieldSpec, value: unknown): boolean {
  switch (field[2]) {
    case 'message': return false;
    case 'bytes': return (value as Uint8Array).length === 0;
    case 'bool': return value === false;
    case 'string': return value === '';
    default: return value === 0 || value === 0n;
  }
}

function valueToJson(field: JsonFieldSpec, value: unknown): unknown {
  switch (field[2]) {
    case 'message': return messageToJson(field[4]!, value as object);
    case 'bytes': return Buffer.from(value as Uint8Array).toString('base64');
    case 'int64': case 'uint64': case 'sint64': return String(value);
    case 'enum': return enumName(field[4]!, value as number);
    default: return value;
  }
}

function enumName(enumType: string, value: number): string | number {
  const values = ENUMS[enumType] ?? {};
  for (const [name, number] of Object.entries(values)) if (number === value) return name;
  return value;
}

/**
 * The message of type `typeName` described by `json` (parsed JSON; null/undefined → all defaults), with
 * every field present as the generated `create()` would fill it. Throws GatewayJsonError on bad values.
 */
export function messageFromJson(typeName: string, json: unknown): Record<string, unknown> {
  if (json !== null && json !== undefined && (typeof json !== 'object' || Array.isArray(json))) {
    throw new GatewayJsonError(`json: cannot unmarshal ${jsonKind(json)} into Go value of type ${typeName}`);
  }
  const input = (json ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of fieldsOf(typeName)) {
    const raw = field[0] in input ? input[field[0]] : input[field[1]];
    if (raw === null || raw === undefined) {
      out[field[1]] = defaultValue(field);
    } else if ((field[3] & FIELD_REPEATED) !== 0) {
      if (!Array.isArray(raw)) throw new GatewayJsonError(`bad input: field ${field[0]} must be an array`);
      out[field[1]] = raw.map((item: unknown) => valueFromJson(field, item));
    } else {
      out[field[1]] = valueFromJson(field, raw);
    }
  }
  return out;
}

function defaultValue(field: JsonFieldSpec): unknown {
  if ((field[3] & FIELD_REPEATED) !== 0) return [];
  if ((field[3] & FIELD_ONEOF) !== 0) return undefined;
  switch (field[2]) {
    case 'message': return undefined;
    case 'bytes': return new Uint8Array(0);
    case 'bool': return false;
    case 'string': return '';
    case 'enum': return 0;
    default: return (field[3] & FIELD_BIGINT) !== 0 ? 0n : 0;
  }
}

function valueFromJson(field: JsonFieldSpec, raw: unknown): unknown {
  const kind = field[2];
  switch (kind) {
    case 'message': return messageFromJson(field[4]!, raw);
    case 'bytes': return bytesFromJson(raw);
    case 'bool':
      if (typeof raw !== 'boolean') throw new GatewayJsonError(`json: cannot unmarshal ${jsonKind(raw)} into Go value of type bool`);
      return raw;
    case 'string':
      if (typeof raw !== 'string') throw new GatewayJsonError(`json: cannot unmarshal ${jsonKind(raw)} into Go value of type string`);
      return raw;
    case 'enum': return enumFromJson(field[4]!, raw);
    default: return integerFromJson(field, raw);
  }
}

function bytesFromJson(raw: unknown): Uint8Array {
  if (typeof raw !== 'string') throw new GatewayJsonError(`json: cannot unmarshal ${jsonKind(raw)} into Go value of type []byte`);
  const padded = raw.length % 4 === 0;
  if (!(padded && (BASE64.test(raw) || BASE64_URL.test(raw)))) {
    const bad = [...raw].findIndex((ch) => !/[A-Za-z0-9+/=_-]/.test(ch));
    throw new GatewayJsonError(`illegal base64 data at input byte ${bad >= 0 ? bad : raw.length}`);
  }
  return new Uint8Array(Buffer.from(raw, BASE64.test(raw) ? 'base64' : 'base64url'));
}

function enumFromJson(enumType: string, raw: unknown): number {
  if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
  const value = typeof raw === 'string' ? ENUMS[enumType]?.[raw] : undefined;
  if (value === undefined) throw new GatewayJsonError(`unknown value ${JSON.stringify(raw)} for enum ${enumType}`);
  return value;
}

function integerFromJson(field: JsonFieldSpec, raw: unknown): number | bigint {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw : undefined;
  if (text === undefined || !INTEGER.test(text)) {
    throw new GatewayJsonError(`json: cannot unmarshal ${jsonKind(raw)} into Go value of type ${goInt(field[2])}`);
  }
  const value = BigInt(text);
  const unsigned = field[2] === 'uint32' || field[2] === 'uint64';
  const is32 = field[2] === 'int32' || field[2] === 'uint32' || field[2] === 'sint32';
  const [min, max] = is32 ? [BigInt(unsigned ? 0 : INT32_MIN), BigInt(unsigned ? UINT32_MAX : 2 ** 31 - 1)]
    : [unsigned ? 0n : -(1n << 63n), unsigned ? (1n << 64n) - 1n : (1n << 63n) - 1n];
  if (value < min || value > max) {
    throw new GatewayJsonError(`json: cannot unmarshal number ${text} into Go value of type ${goInt(field[2])}`);
  }
  if ((field[3] & FIELD_BIGINT) !== 0) return value;
  if (!Number.isSafeInteger(Number(value))) throw new GatewayJsonError(`value ${text} out of range for ${field[0]}`);
  return Number(value);
}

function goInt(kind: string): string {
  return kind === 'sint32' ? 'int32' : kind === 'sint64' ? 'int64' : kind;
}

function jsonKind(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  return Array.isArray(value) ? 'array' : 'object';
}
