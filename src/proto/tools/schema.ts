/**
 * Type registry and name rules shared by the code emitter: resolves type references across packages
 * and maps protobuf names to TypeScript names. Used only by scripts/gen-proto.ts.
 */
import type { EnumDef, FieldDef, MessageDef, ProtoFile, ServiceDef } from './parse-proto.js';

export interface MessageType {
  kind: 'message';
  packageName: string;
  /** Name inside its package with nesting joined by `_` (e.g. `RangeRequest_SortOrder`). */
  tsName: string;
  /** Dotted name inside its package (e.g. `RangeRequest.SortOrder`). */
  protoName: string;
  def: MessageDef;
  /** Package + nesting path used to resolve references made from inside this message. */
  scope: string[];
}

export interface EnumType {
  kind: 'enum';
  packageName: string;
  tsName: string;
  protoName: string;
  def: EnumDef;
}

export type NamedType = MessageType | EnumType;

/** Everything declared by all parsed files, grouped by package. */
export interface PackageSchema {
  packageName: string;
  files: ProtoFile[];
  messages: MessageType[];
  enums: EnumType[];
  services: ServiceDef[];
}

export class SchemaError extends Error {
  override readonly name = 'SchemaError';
}

/** Registry of every named type, keyed by fully qualified name with a leading dot. */
export class Registry {
  readonly types = new Map<string, NamedType>();
  readonly packages = new Map<string, PackageSchema>();

  constructor(files: ProtoFile[]) {
    for (const file of files) {
      let pkg = this.packages.get(file.packageName);
      if (pkg === undefined) {
        pkg = { packageName: file.packageName, files: [], messages: [], enums: [], services: [] };
        this.packages.set(file.packageName, pkg);
      }
      pkg.files.push(file);
      pkg.services.push(...file.services);
      for (const definition of file.enums) this.addEnum(pkg, [], definition);
      for (const definition of file.messages) this.addMessage(pkg, [], definition);
    }
  }

  private add(fullName: string, type: NamedType): void {
    if (this.types.has(fullName)) throw new SchemaError(`duplicate type ${fullName}`);
    this.types.set(fullName, type);
  }

  private addEnum(pkg: PackageSchema, path: string[], def: EnumDef): void {
    const names = [...path, def.name];
    const type: EnumType = {
      kind: 'enum', packageName: pkg.packageName, tsName: names.join('_'), protoName: names.join('.'), def,
    };
    this.add(`.${pkg.packageName}.${type.protoName}`, type);
    pkg.enums.push(type);
  }

  private addMessage(pkg: PackageSchema, path: string[], def: MessageDef): void {
    const names = [...path, def.name];
    const type: MessageType = {
      kind: 'message', packageName: pkg.packageName, tsName: names.join('_'), protoName: names.join('.'), def,
      scope: [...pkg.packageName.split('.'), ...names],
    };
    this.add(`.${pkg.packageName}.${type.protoName}`, type);
    pkg.messages.push(type);
    for (const nested of def.enums) this.addEnum(pkg, names, nested);
    for (const nested of def.messages) this.addMessage(pkg, names, nested);
  }

  /** Resolves `ref` as protobuf does: innermost enclosing scope first. Throws SchemaError if unknown. */
  resolve(ref: string, scope: string[]): NamedType {
    if (ref.startsWith('.')) {
      const type = this.types.get(ref);
      if (type === undefined) throw new SchemaError(`unknown type ${ref}`);
      return type;
    }
    for (let depth = scope.length; depth >= 0; depth--) {
      const type = this.types.get(`.${[...scope.slice(0, depth), ref].join('.')}`);
      if (type !== undefined) return type;
    }
    throw new SchemaError(`unknown type ${ref} (from ${scope.join('.')})`);
  }
}

/** Scalar protobuf types this generator supports. */
export const SCALAR_TYPES = new Set(['int32', 'uint32', 'sint32', 'int64', 'uint64', 'sint64', 'bool', 'string', 'bytes']);

/** `create_revision` → `createRevision`; names without underscores are kept as written. */
export function camelCase(name: string): string {
  const parts = name.split('_').filter((part) => part.length > 0);
  return parts.map((part, i) => (i === 0 ? part : part[0]!.toUpperCase() + part.slice(1))).join('');
}

/** `DeleteRange` → `deleteRange` (grpc-js method keys). */
export function lowerFirst(name: string): string {
  return name.length === 0 ? name : name[0]!.toLowerCase() + name.slice(1);
}

/** Output module name of a package: `grpc.health.v1` → `grpc.health.v1`, used as `gen/<name>.ts`. */
export function moduleName(packageName: string): string {
  return packageName;
}

/** Checks per-message invariants the emitter relies on. Throws SchemaError. */
export function validateMessage(type: MessageType): void {
  const numbers = new Set<number>();
  const names = new Set<string>();
  for (const field of type.def.fields) {
    checkField(type, field);
    if (numbers.has(field.number)) throw new SchemaError(`${type.protoName}: duplicate field number ${field.number}`);
    const tsName = camelCase(field.name);
    if (names.has(tsName)) throw new SchemaError(`${type.protoName}: duplicate field name ${tsName}`);
    numbers.add(field.number);
    names.add(tsName);
  }
}

const FIELD_NUMBER_MAX = 536_870_911;

function checkField(type: MessageType, field: FieldDef): void {
  const where = `${type.protoName}.${field.name}`;
  if (!(Number.isInteger(field.number) && field.number >= 1 && field.number <= FIELD_NUMBER_MAX)) {
    throw new SchemaError(`${where}: bad field number ${field.number}`);
  }
  if (field.bigint && field.type !== 'int64' && field.type !== 'uint64') {
    throw new SchemaError(`${where}: @bigint is only allowed on int64/uint64 (got ${field.type})`);
  }
}
