/**
 * A pflag-compatible command-line parser: `--name=value`, `--name value`, `--bool`, `-w json`,
 * `-wjson`, `-w=json`, `--` ends flags, flags may appear anywhere among the arguments. Errors carry
 * pflag's exact messages.
 */
import { GoParseError, goQuote, parseGoBool, parseGoDurationMs, parseGoInt } from './go-format.js';

/** The value types etcdctl's flags use. */
export type FlagKind = 'bool' | 'string' | 'int' | 'duration' | 'stringSlice';

/** One flag definition. `defaultText` is the default as pflag prints it in help. */
export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  defaultText: string;
  usage: string;
  /** Accepted but not listed in help (flags newer than etcdctl 3.4, e.g. get --count-only). */
  hidden?: boolean;
}

/** Parsed flag values by long name (strings as given; typed accessors in FlagValues). */
export class FlagValues {
  private readonly values = new Map<string, string | string[]>();
  readonly changed = new Set<string>();

  constructor(private readonly specs: ReadonlyMap<string, FlagSpec>) {}

  /** Sets a flag from text; throws GoParseError when the text does not parse as the flag's kind. */
  set(name: string, text: string): void {
    const spec = this.specs.get(name);
    if (spec === undefined) throw new GoParseError(`unknown flag ${name}`);
    validateFlagText(spec, text);
    if (spec.kind === 'stringSlice') {
      const previous = this.changed.has(name) ? (this.values.get(name) as string[]) : [];
      this.values.set(name, [...previous, ...text.split(',')]);
    } else this.values.set(name, text);
    this.changed.add(name);
  }

  private raw(name: string): string | string[] {
    const value = this.values.get(name);
    if (value !== undefined) return value;
    const spec = this.specs.get(name);
    if (spec === undefined) throw new Error(`flag ${name} is not defined`);
    if (spec.kind === 'stringSlice') return spec.defaultText.replace(/^\[|\]$/g, '').split(',').filter((s) => s !== '');
    return spec.defaultText;
  }

  /** Throws Error when `name` is not a defined flag. */
  string(name: string): string {
    const value = this.raw(name);
    return Array.isArray(value) ? value.join(',') : value;
  }

  bool(name: string): boolean {
    return parseGoBool(this.string(name));
  }

  int(name: string): bigint {
    return parseGoInt(this.string(name));
  }

  durationMs(name: string): number {
    return parseGoDurationMs(this.string(name));
  }

  list(name: string): string[] {
    const value = this.raw(name);
    return Array.isArray(value) ? value : [value];
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }
}

function validateFlagText(spec: FlagSpec, text: string): void {
  if (spec.kind === 'bool') parseGoBool(text);
  else if (spec.kind === 'int') parseGoInt(text);
  else if (spec.kind === 'duration') parseGoDurationMs(text);
}

/** A flag syntax or value error, with pflag's message. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

function flagDisplayName(spec: FlagSpec): string {
  return spec.short === undefined ? `--${spec.name}` : `-${spec.short}, --${spec.name}`;
}

function setChecked(values: FlagValues, spec: FlagSpec, text: string): void {
  try {
    values.set(spec.name, text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new FlagError(`invalid argument ${goQuote(text)} for "${flagDisplayName(spec)}" flag: ${detail}`);
  }
}

/**
 * Parses `args` against `specs`; returns positional arguments and the values.
 * Throws FlagError with pflag's message on unknown flags, missing or invalid values.
 */
export function parseFlags(args: readonly string[], specs: readonly FlagSpec[]):
  { positional: string[]; values: FlagValues; argsLenAtDash: number } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short!, s]));
  const values = new FlagValues(byName);
  const positional: string[] = [];
  let argsLenAtDash = -1;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      argsLenAtDash = positional.length;
      positional.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--') && arg.length > 2) {
      i = parseLong(args, i, byName, values);
    } else if (arg.startsWith('-') && arg.length > 1) {
      i = parseShort(args, i, byShort, values);
    } else positional.push(arg);
  }
  return { positional, values, argsLenAtDash };
}

function parseLong(args: readonly string[], i: number, byName: Map<string, FlagSpec>, values: FlagValues): number {
  const body = args[i]!.slice(2);
  const eq = body.indexOf('=');
  const name = eq < 0 ? body : body.slice(0, eq);
  const spec = byName.get(name);
  if (spec === undefined) throw new FlagError(`unknown flag: --${name}`);
  if (eq >= 0) setChecked(values, spec, body.slice(eq + 1));
  else if (spec.kind === 'bool') setChecked(values, spec, 'true');
  else if (i + 1 < args.length) {
    setChecked(values, spec, args[i + 1]!);
    return i + 1;
  } else throw new FlagError(`flag needs an argument: --${name}`);
  return i;
}

function parseShort(args: readonly string[], i: number, byShort: Map<string, FlagSpec>, values: FlagValues): number {
  const shorthands = args[i]!.slice(1);
  for (let k = 0; k < shorthands.length; k++) {
    const c = shorthands[k]!;
    const spec = byShort.get(c);
    if (spec === undefined) throw new FlagError(`unknown shorthand flag: '${c}' in -${shorthands}`);
    const rest = shorthands.slice(k + 1);
    if (rest.startsWith('=')) {
      setChecked(values, spec, rest.slice(1));
      return i;
    }
    if (spec.kind === 'bool') {
      setChecked(values, spec, 'true');
      continue;
    }
    if (rest !== '') {
      setChecked(values, spec, rest);
      return i;
    }
    if (i + 1 < args.length) {
      setChecked(values, spec, args[i + 1]!);
      return i + 1;
    }
    throw new FlagError(`flag needs an argument: '${c}' in -${shorthands}`);
  }
  return i;
}

/** True when `arg` looks like a flag that consumes the next argument (cobra's stripFlags rule). */
export function flagTakesNextArg(arg: string, specs: readonly FlagSpec[]): boolean {
  if (arg.includes('=')) return false;
  if (arg.startsWith('--')) {
    const spec = specs.find((s) => s.name === arg.slice(2));
    return spec !== undefined && spec.kind !== 'bool';
  }
  if (arg.startsWith('-') && arg.length === 2) {
    const spec = specs.find((s) => s.short === arg.slice(1));
    return spec !== undefined && spec.kind !== 'bool';
  }
  return false;
}
