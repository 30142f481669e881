/**
 * Test/bench support: the parsed .proto schema at run time, flattened per message, plus a lookup from
 * fully qualified message name to its generated codec. Not used by production code.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseProto } from '../tools/parse-proto.js';
import { camelCase, Registry, SCALAR_TYPES } from '../tools/schema.js';
import type { MessageCodec } from '../runtime.js';
import * as authpb from '../gen/authpb.js';
import * as etcdserverpb from '../gen/etcdserverpb.js';
import * as health from '../gen/grpc.health.v1.js';
import * as mvccpb from '../gen/mvccpb.js';
import * as raftpb from '../gen/raftpb.js';
import * as v3electionpb from '../gen/v3electionpb.js';
import * as v3lockpb from '../gen/v3lockpb.js';

export const PROTO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface FieldInfo {
  protoName: string;
  tsName: string;
  number: number;
  /** Scalar type name, or 'enum' / 'message'. */
  kind: string;
  repeated: boolean;
  oneof: string | undefined;
  bigint: boolean;
  enumValues: number[];
  /** Fully qualified message type name (without leading dot) for kind 'message'. */
  messageName: string;
}

export interface MessageInfo {
  fullName: string;
  fields: FieldInfo[];
}

/** Every .proto file under src/proto (excluding gen), relative to PROTO_ROOT. */
export function protoFiles(dir = PROTO_ROOT): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) { if (name !== 'gen' && name !== 'node_modules') out.push(...protoFiles(path)); }
    else if (name.endsWith('.proto')) out.push(relative(PROTO_ROOT, path));
  }
  return out;
}

/** Loads and flattens the schema: fully qualified name → message info. */
export function loadSchema(): Map<string, MessageInfo> {
  const files = protoFiles().map((path) => parseProto(readFileSync(join(PROTO_ROOT, path), 'utf8'), path));
  const registry = new Registry(files);
  const out = new Map<string, MessageInfo>();
  for (const pkg of registry.packages.values()) {
    for (const type of pkg.messages) {
      const fullName = `${pkg.packageName}.${type.protoName}`;
      const fields = type.def.fields.map((field): FieldInfo => {
        const base = {
          protoName: field.name, tsName: camelCase(field.name), number: field.number, repeated: field.repeated,
          oneof: field.oneof, bigint: field.bigint, enumValues: [] as number[], messageName: '',
        };
        if (SCALAR_TYPES.has(field.type)) return { ...base, kind: field.type };
        const resolved = registry.resolve(field.type, type.scope);
        if (resolved.kind === 'enum') return { ...base, kind: 'enum', enumValues: resolved.def.values.map((v) => v.number) };
        return { ...base, kind: 'message', messageName: `${resolved.packageName}.${resolved.protoName}` };
      });
      out.set(fullName, { fullName, fields });
    }
  }
  return out;
}

const modules: Record<string, Record<string, unknown>> = {
  authpb, etcdserverpb, 'grpc.health.v1': health, mvccpb, raftpb, v3electionpb, v3lockpb,
};

/** The generated codec for a fully qualified message name. Throws Error if unknown. */
export function codecFor(fullName: string): MessageCodec<Record<string, unknown>> {
  for (const [pkg, module] of Object.entries(modules)) {
    if (!fullName.startsWith(`${pkg}.`)) continue;
    const tsName = fullName.slice(pkg.length + 1).replace(/\./g, '_');
    const codec = module[tsName] as MessageCodec<Record<string, unknown>> | undefined;
    if (codec !== undefined && typeof codec === 'object' && 'encode' in codec) return codec;
  }
  throw new Error(`no codec for ${fullName}`);
}
