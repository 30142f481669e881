/** Types of the gateway's JSON schema table (json-schema.gen.ts). */

export type JsonScalarKind = 'bool' | 'string' | 'bytes' | 'int32' | 'uint32' | 'sint32' | 'int64' | 'uint64' | 'sint64';
export type JsonFieldKind = JsonScalarKind | 'enum' | 'message';

/** Bits of a field's flags. */
export const FIELD_REPEATED = 1;
export const FIELD_BIGINT = 2;
export const FIELD_ONEOF = 4;

/** [proto name, TS property name, kind, flags (FIELD_*), enum or message name]. */
export type JsonFieldSpec = readonly [string, string, JsonFieldKind, number, string?];
